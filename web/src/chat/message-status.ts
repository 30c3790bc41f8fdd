/** Whether a reply is still being written (its stream has not sent its final event). */
export const isGenerating = (status: string) => status === 'PENDING' || status === 'STREAMING';
