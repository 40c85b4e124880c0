import { createContext, useContext } from 'react';
import type { Settings, SettingsPatch, SystemInfo } from '../../../app/common/contract/index.ts';

export interface AppState {
  info: SystemInfo | null;
  settings: Settings | null;
  dataDir: string;
  updateSettings(patch: SettingsPatch): Promise<void>;
  /** 'light' or 'dark' after resolving 'system'. */
  theme: 'light' | 'dark';
}

export const AppContext = createContext<AppState>({
  info: null,
  settings: null,
  dataDir: '',
  updateSettings: async () => {},
  theme: 'light',
});
export const useApp = () => useContext(AppContext);
