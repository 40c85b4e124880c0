type Listener = (text: string | null) => void;
const listeners = new Set<Listener>();
let timer: ReturnType<typeof setTimeout> | undefined;

/** A short confirmation ("Copied as Markdown") at the bottom of the window. */
export function toast(text: string): void {
  for (const l of listeners) l(text);
  clearTimeout(timer);
  timer = setTimeout(() => listeners.forEach((l) => l(null)), 2500);
}

export function onToast(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
