import { useEffect, useState } from 'react';
import type { Settings as SettingsT } from '../../../app/common/contract/index.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { GraphOptimisationOptions } from '../components/graph-optimisation-options.tsx';
import { BrowseButton } from '../components/path-picker.tsx';
import { useApp } from '../lib/app-state.ts';
import { toast } from '../lib/toast.ts';
import { registerScreen } from './registry.ts';
import { MAX_BATCH_SIZE, MAX_THREADS } from '../../../base/options.ts';

function SettingsScreen() {
  const { settings, dataDir, updateSettings, info } = useApp();
  const [draft, setDraft] = useState<SettingsT['defaults'] | null>(settings?.defaults ?? null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => setDraft(settings?.defaults ?? null), [settings]);
  if (!settings || !draft) return <div className="empty">Loading…</div>;
  const set = (patch: Partial<SettingsT['defaults']>) => setDraft({ ...draft, ...patch });

  return (
    <>
      <h1 className="page-title">Settings</h1>
      <p className="page-sub">Saved in the data folder, shared by the desktop app, the browser mode and the CLI.</p>
      <ErrorBox error={error} onDismiss={() => setError(null)} />
      <div className="card">
        <h2>Appearance</h2>
        <label className="field">
          Theme
          <select
            value={settings.theme}
            onChange={(e) => updateSettings({ theme: e.target.value as SettingsT['theme'] }).catch(setError)}
            data-testid="theme-select"
          >
            <option value="system">Follow the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
      </div>
      <div className="card">
        <h2>Data folder</h2>
        <p className="mono" data-testid="data-dir">
          {dataDir}
        </p>
        <p className="muted">
          Run history, the reference model, sample data and settings live here. To use another folder, start the app
          with the environment variable <code>COSMICAI_DATA_DIR</code> set to it.
        </p>
      </div>
      <form
        className="card"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            await updateSettings({ defaults: draft });
            toast('Settings saved');
          } catch (err) {
            setError(err);
          }
        }}
      >
        <h2>Defaults for new local runs</h2>
        <label className="field">
          Model
          <div className="row">
            <input
              style={{ flex: 1 }}
              placeholder="reference model"
              value={draft.model}
              onChange={(e) => set({ model: e.target.value })}
            />
            <BrowseButton kind="file" label="Browse…" extensions={['.onnx']} onPick={(p) => set({ model: p[0] })} />
          </div>
        </label>
        <label className="field">
          Data (one path per line)
          <textarea
            placeholder="sample data"
            value={draft.data.join('\n')}
            onChange={(e) =>
              set({
                data: e.target.value
                  .split('\n')
                  .map((s) => s.trim())
                  .filter(Boolean),
              })
            }
          />
        </label>
        <div className="form-grid">
          <label className="field">
            Batch size
            <input
              type="number"
              min={1}
              max={MAX_BATCH_SIZE}
              value={draft.batchSize}
              onChange={(e) => set({ batchSize: Number(e.target.value) })}
            />
          </label>
          <label className="field">
            Threads (0 = one per physical core)
            <input
              type="number"
              min={0}
              max={MAX_THREADS}
              value={draft.threads}
              onChange={(e) => set({ threads: Number(e.target.value) })}
            />
          </label>
          <label className="field">
            Graph optimisation
            <select
              value={draft.graphOptimization}
              onChange={(e) => set({ graphOptimization: e.target.value as SettingsT['defaults']['graphOptimization'] })}
            >
              <GraphOptimisationOptions />
            </select>
          </label>
        </div>
        <button className="primary" type="submit">
          Save defaults
        </button>
      </form>
      {info && (
        <div className="card">
          <h2>About</h2>
          <p className="muted">
            {info.app} {info.version} · {info.mode === 'electron' ? 'desktop app' : 'browser mode'} · {info.platform}{' '}
            {info.arch} · {info.cpus} logical CPUs ({info.cpuModel}) · {Math.round(info.memoryMB / 1024)} GB RAM · Node{' '}
            {info.node}
          </p>
        </div>
      )}
    </>
  );
}

registerScreen({ id: 'settings', title: 'Settings', nav: 90, render: () => <SettingsScreen /> });
