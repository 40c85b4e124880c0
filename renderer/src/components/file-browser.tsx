import { useEffect, useEffectEvent, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { api } from '../api.ts';
import type { DirEntry } from '../../../app/common/contract/index.ts';
import { ErrorBox } from './error-box.tsx';

export type PickKind = 'file' | 'files' | 'folder';

/**
 * The in-app file browser for the browser mode (a web page cannot see local paths). Lists folders on the machine
 * running the app through `system.listDir`.
 */
export function FileBrowser({
  kind,
  start,
  extensions,
  onPick,
  onClose,
}: {
  kind: PickKind;
  start?: string;
  extensions?: string[];
  onPick: (paths: string[]) => void;
  onClose: () => void;
}) {
  const [dir, setDir] = useState<{ path: string; parent: string | null; entries: DirEntry[] } | null>(null);
  const [typed, setTyped] = useState(start ?? '');
  const [selected, setSelected] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);

  const latest = useRef(0);
  // Set when the user edits the folder field, cleared when they ask for a listing: a listing they did not ask for
  // since (the start folder, which on a busy machine can arrive after they began typing) must not replace their text.
  const edited = useRef(false);
  const open = async (p?: string) => {
    const ticket = ++latest.current;
    try {
      const res = await api.system.listDir({ path: p });
      // A slower earlier listing (e.g. the home folder on open) must not replace the one asked for last.
      if (ticket !== latest.current) return;
      setDir(res);
      if (!edited.current) setTyped(res.path);
      setSelected([]);
      setError(null);
    } catch (err) {
      if (ticket === latest.current) setError(err);
    }
  };
  const navigate = (p?: string) => {
    edited.current = false;
    return open(p);
  };
  // The first listing, of the folder the browser was opened at; later changes of `start` do not navigate away.
  const openStart = useEffectEvent(() => void open(start || undefined));
  useEffect(() => openStart(), []);

  const shown =
    dir?.entries.filter(
      (e) => e.kind === 'dir' || !extensions?.length || extensions.some((x) => e.name.toLowerCase().endsWith(x)),
    ) ?? [];
  const toggle = (e: DirEntry) => {
    if (e.kind === 'dir') return void navigate(e.path);
    if (kind === 'folder') return;
    setSelected((s) =>
      kind === 'file' ? [e.path] : s.includes(e.path) ? s.filter((x) => x !== e.path) : [...s, e.path],
    );
  };

  // A portal keeps the dialog out of the surrounding <label> and <form> in the DOM (no label activation, no nested form).
  return createPortal(
    <div className="modal-back" onClick={onClose}>
      <div
        className="modal"
        role="dialog"
        aria-label="Choose a file"
        onClick={(e) => e.stopPropagation()}
        data-testid="file-browser"
      >
        <div className="row">
          <strong>{kind === 'folder' ? 'Choose a folder' : kind === 'files' ? 'Choose files' : 'Choose a file'}</strong>
          <span className="spacer" />
          <button className="small" onClick={onClose}>
            Close
          </button>
        </div>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            e.stopPropagation();
            void navigate(typed);
          }}
        >
          <button
            type="button"
            className="small"
            disabled={!dir?.parent}
            onClick={() => dir?.parent && navigate(dir.parent)}
          >
            ↑ Up
          </button>
          <input
            aria-label="Folder"
            style={{ flex: 1 }}
            value={typed}
            onChange={(e) => {
              edited.current = true;
              setTyped(e.target.value);
            }}
          />
          <button type="submit" className="small">
            Go
          </button>
        </form>
        {error ? <ErrorBox error={error} onDismiss={() => setError(null)} /> : null}
        <div className="file-list">
          {shown.length === 0 && (
            <div className="empty" style={{ padding: 12 }}>
              Nothing to show here.
            </div>
          )}
          {shown.map((e) => (
            <div
              key={e.path}
              className={`file-row${selected.includes(e.path) ? ' selected' : ''}`}
              onClick={() => toggle(e)}
              data-name={e.name}
            >
              <span className={`kind ${e.kind}`}>{e.kind === 'dir' ? 'folder' : 'file'}</span>
              <span>{e.name}</span>
              {e.size !== null && <span className="size">{formatBytes(e.size)}</span>}
            </div>
          ))}
        </div>
        <div className="row">
          <span className="muted" style={{ fontSize: '0.85rem' }}>
            {kind === 'folder'
              ? `Folder: ${dir?.path ?? ''}`
              : selected.length
                ? `${selected.length} selected`
                : 'Click a file to select it; click a folder to open it.'}
          </span>
          <span className="spacer" />
          <button
            className="primary"
            disabled={kind !== 'folder' && selected.length === 0}
            onClick={() => {
              onPick(kind === 'folder' ? (dir ? [dir.path] : []) : selected);
              onClose();
            }}
          >
            {kind === 'folder' ? 'Use this folder' : 'Choose'}
          </button>
        </div>
      </div>
    </div>,
    document.body,
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MB`;
  return `${(n / (1 << 30)).toFixed(2)} GB`;
}
