/** Chat's Message as the gateway hands it to translation: its id and (required by `translation`) its content. */
export interface MessageReference {
  id: string;
  content?: string | null;
}
