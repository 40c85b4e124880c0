import { useEffect, useMemo, useState } from 'react';
import { api } from './api.ts';
import type { Settings, SettingsPatch, SystemInfo } from '../../app/common/contract/index.ts';
import { ErrorBox } from './components/error-box.tsx';
import { AppContext, type AppState } from './lib/app-state.ts';
import { useRoute } from './lib/router.ts';
import { clearFinished, reattach, useTrackedRun } from './lib/run-tracker.ts';
import { onToast, toast } from './lib/toast.ts';
import { getScreen, navScreens } from './screens/index.ts';

const darkQuery = () => window.matchMedia?.('(prefers-color-scheme: dark)');

function useSystemDark(): boolean {
  const [dark, setDark] = useState(() => darkQuery()?.matches ?? false);
  useEffect(() => {
    const q = darkQuery();
    const on = (e: MediaQueryListEvent) => setDark(e.matches);
    q?.addEventListener('change', on);
    return () => q?.removeEventListener('change', on);
  }, []);
  return dark;
}

export function App() {
  const route = useRoute();
  const tracked = useTrackedRun();
  const [info, setInfo] = useState<SystemInfo | null>(null);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [dataDir, setDataDir] = useState('');
  const [fatal, setFatal] = useState<unknown>(null);
  const [toastText, setToastText] = useState<string | null>(null);
  const systemDark = useSystemDark();

  useEffect(() => {
    api.system.info().then(setInfo, setFatal);
    api.settings.get().then((r) => {
      setSettings(r.settings);
      setDataDir(r.dataDir);
    }, setFatal);
    reattach().catch(() => undefined);
    return onToast(setToastText);
  }, []);

  // A run that ends while another screen is open: say so, rather than jumping away from what the user is doing.
  const finished = tracked?.finished;
  const finishedName = tracked?.name;
  useEffect(() => {
    if (!finished || route.screen === 'run') return;
    toast(
      finished.status === 'failed'
        ? `Run failed: ${finished.error?.message ?? 'see Local run'}`
        : `Run ${finished.status}: "${finishedName}" is in History`,
    );
    clearFinished();
  }, [finished, finishedName, route.screen]);

  const theme = settings?.theme === 'dark' || (settings?.theme !== 'light' && systemDark) ? 'dark' : 'light';
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  const state: AppState = useMemo(
    () => ({
      info,
      settings,
      dataDir,
      theme,
      async updateSettings(patch: SettingsPatch) {
        const r = await api.settings.update(patch);
        setSettings(r.settings);
      },
    }),
    [info, settings, dataDir, theme],
  );

  const screen = getScreen(route.screen) ?? getScreen('home')!;
  const running = tracked && !tracked.finished;
  return (
    <AppContext.Provider value={state}>
      <div className="app">
        <nav className="sidebar" aria-label="Screens">
          <div className="brand">
            CosmicAI Bench
            <small>AstroMAE redshift inference</small>
          </div>
          {navScreens().map((s) => (
            <a key={s.id} href={`#/${s.id}`} className={`nav-item${s.id === screen.id ? ' active' : ''}`}>
              {s.title}
              {s.id === 'run' && running ? ' ●' : ''}
            </a>
          ))}
          <div className="sidebar-foot">
            <button
              onClick={() => state.updateSettings({ theme: theme === 'dark' ? 'light' : 'dark' }).catch(setFatal)}
              data-testid="theme-toggle"
              title="Switch between light and dark"
            >
              {theme === 'dark' ? '☀ Light theme' : '☾ Dark theme'}
            </button>
            {info && (
              <span>
                {info.mode === 'electron' ? 'Desktop app' : 'Browser mode'} · v{info.version}
              </span>
            )}
          </div>
        </nav>
        <main className="main">
          <ErrorBox error={fatal} onDismiss={() => setFatal(null)} title="Cannot reach the app" />
          {screen.render(route.params)}
        </main>
      </div>
      {toastText && <div className="toast">{toastText}</div>}
    </AppContext.Provider>
  );
}
