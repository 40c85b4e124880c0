import { useState } from 'react';
import { api } from '../api.ts';
import { useApp } from '../lib/app-state.ts';
import { FileBrowser, type PickKind } from './file-browser.tsx';

/** "Browse…" buttons: the native dialog in Electron, the in-app file browser in the browser. */
export function BrowseButton({
  kind,
  label,
  extensions,
  onPick,
  testId,
}: {
  kind: PickKind;
  label: string;
  extensions?: string[];
  onPick: (paths: string[]) => void;
  testId?: string;
}) {
  const { info } = useApp();
  const [open, setOpen] = useState(false);
  const click = async () => {
    if (info?.nativeDialogs) {
      const { paths } = await api.system.pickPaths({ kind, extensions: extensions?.map((e) => e.replace(/^\./, '')) });
      if (paths.length) onPick(paths);
    } else setOpen(true);
  };
  return (
    <>
      <button type="button" onClick={click} data-testid={testId}>
        {label}
      </button>
      {open && <FileBrowser kind={kind} extensions={extensions} onPick={onPick} onClose={() => setOpen(false)} />}
    </>
  );
}
