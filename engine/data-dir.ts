import os from 'node:os';
import path from 'node:path';

/**
 * The app's data folder (model cache, sample data, run history, profiles).
 * COSMICAI_DATA_DIR wins; Electron sets it to app.getPath('userData') so the CLI, the browser host and the
 * desktop app share one folder.
 */
export function appDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.COSMICAI_DATA_DIR) return path.resolve(env.COSMICAI_DATA_DIR);
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'CosmicAI Bench');
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'CosmicAI Bench');
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'cosmicai-bench');
  }
}
