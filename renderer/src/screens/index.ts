// Each screen registers itself; add a screen with one import line.
import './home.tsx';
import './local-run.tsx';
import './history.tsx';
import './results.tsx';
import './compare.tsx';
import './settings.tsx';
import './cloud-run.tsx';
import './profiles.tsx';
import './study.tsx';
import './study-import.tsx';
import './prices.tsx';
import './presentation.tsx';

export { getScreen, navScreens, registerScreen } from './registry.ts';
