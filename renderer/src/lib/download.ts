import { api, isElectron } from '../api.ts';

/** Saves text or a data URL: the native save dialog in Electron, a download in the browser. Returns false if cancelled. */
export async function saveFile(
  name: string,
  content: string | { dataUrl: string },
  mime = 'text/plain',
): Promise<boolean> {
  if (isElectron) {
    const isData = typeof content !== 'string';
    const payload = isData ? content.dataUrl.slice(content.dataUrl.indexOf(',') + 1) : content;
    const res = await api.system.saveFile({
      suggestedName: name,
      content: payload,
      encoding: isData ? 'base64' : 'utf8',
    });
    return res.path !== null;
  }
  const href =
    typeof content === 'string'
      ? URL.createObjectURL(new Blob([content], { type: `${mime};charset=utf-8` }))
      : content.dataUrl;
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  if (typeof content === 'string') setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return true;
}

export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Older engines or a denied permission: the selection-based copy still works.
    const ta = document.createElement('textarea');
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
}
