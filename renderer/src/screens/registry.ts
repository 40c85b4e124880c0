import type { ReactNode } from 'react';

/**
 * The screens of the app. A screen registers itself (see screens/index.ts); with `nav` it also gets a sidebar entry.
 * Other features (Profiles, Cloud run, Study) add a module and one import line.
 */
export interface ScreenDef {
  id: string;
  title: string;
  /** Sidebar position (lower first); screens without it are reached by links only (e.g. Results). */
  nav?: number;
  render(params: string[]): ReactNode;
}

const screens = new Map<string, ScreenDef>();

export function registerScreen(def: ScreenDef): void {
  screens.set(def.id, def);
}

export const getScreen = (id: string): ScreenDef | undefined => screens.get(id);
export const navScreens = (): ScreenDef[] =>
  [...screens.values()].filter((s) => s.nav !== undefined).sort((a, b) => a.nav! - b.nav!);
