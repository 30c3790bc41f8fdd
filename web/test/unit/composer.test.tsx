// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Composer, type ComposerSubmit } from '../../src/chat/Composer';
import { I18nProvider } from '../../src/i18n/i18n';

afterEach(cleanup);

const models = [
  {
    id: 'dev/echo',
    displayName: 'Echo',
    provider: 'dev',
    healthy: true,
    development: true,
    contextWindow: 1,
    inputPricePerMTok: 0,
    outputPricePerMTok: 0,
  },
  {
    id: 'dev/slow',
    displayName: 'Slow',
    provider: 'dev',
    healthy: true,
    development: true,
    contextWindow: 1,
    inputPricePerMTok: 0,
    outputPricePerMTok: 0,
  },
  {
    id: 'gpt',
    displayName: 'GPT',
    provider: 'openai',
    healthy: false,
    development: false,
    contextWindow: 1,
    inputPricePerMTok: 1,
    outputPricePerMTok: 1,
  },
  {
    id: 'big',
    displayName: 'Big',
    provider: 'openai',
    healthy: true,
    development: false,
    contextWindow: 1,
    inputPricePerMTok: 1,
    outputPricePerMTok: 1,
  },
];

function renderComposer({ generating = false, model = 'dev/echo' }: { generating?: boolean; model?: string | null } = {}) {
  const sent: ComposerSubmit[] = [];
  const onStop = vi.fn();
  render(
    <I18nProvider>
      <Composer
        models={models}
        model={model}
        onModel={() => {}}
        generating={generating}
        onStop={onStop}
        onSubmit={async (submit) => (sent.push(submit), true)}
        error={null}
      />
    </I18nProvider>,
  );
  return { sent, onStop, box: screen.getByLabelText('Your message') as HTMLTextAreaElement };
}

describe('the composer', () => {
  it('sends with Enter to the chosen model and clears itself; Shift+Enter is a new line', async () => {
    const { sent, box } = renderComposer();
    fireEvent.change(box, { target: { value: 'hello' } });
    fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(sent).toEqual([]);
    fireEvent.keyDown(box, { key: 'Enter' });
    await vi.waitFor(() => expect(sent).toEqual([{ content: 'hello', models: ['dev/echo'] }]));
    await vi.waitFor(() => expect(box.value).toBe(''));
  });

  it('sends nothing blank, and nothing while an input method is composing', () => {
    const { sent, box } = renderComposer();
    fireEvent.change(box, { target: { value: '   ' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    fireEvent.change(box, { target: { value: '你好' } });
    fireEvent.keyDown(box, { key: 'Enter', isComposing: true });
    expect(sent).toEqual([]);
  });

  it('stops the reply being generated with Escape', () => {
    const { onStop, box } = renderComposer({ generating: true });
    fireEvent.keyDown(box, { key: 'Escape' });
    expect(onStop).toHaveBeenCalledOnce();
    expect(screen.getByRole('button', { name: 'Stop' })).toBeTruthy();
  });

  it('compares two or three models, and no more', async () => {
    const { sent, box } = renderComposer();
    fireEvent.click(screen.getByRole('button', { name: 'Compare models' }));
    const box1 = screen.getByRole('checkbox', { name: /Echo/ }) as HTMLInputElement;
    fireEvent.click(box1);
    fireEvent.change(box, { target: { value: 'which?' } });
    expect((screen.getByRole('button', { name: 'Send' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('checkbox', { name: /Slow/ }));
    fireEvent.click(screen.getByRole('checkbox', { name: /GPT/ }));
    expect((screen.getByRole('checkbox', { name: /Big/ }) as HTMLInputElement).disabled).toBe(true);
    fireEvent.keyDown(box, { key: 'Enter' });
    await vi.waitFor(() => expect(sent).toEqual([{ content: 'which?', models: ['dev/echo', 'dev/slow', 'gpt'] }]));
  });

  it('marks development models and unhealthy ones in the picker', () => {
    renderComposer();
    const options = [...(screen.getByLabelText('Model') as HTMLSelectElement).options].map((o) => o.textContent);
    expect(options).toEqual(['Default model', '● Echo (dev)', '● Slow (dev)', '○ GPT — unavailable', '● Big']);
  });
});
