import { api, isElectron } from '../api.ts';
import type { RunSelection } from '../../../app/common/contract/index.ts';
import { saveFile } from './download.ts';
import { toast } from './toast.ts';

/**
 * The study report: the Node side builds one self-contained HTML page. The browser opens it in a new tab (and can
 * print it to PDF there); the desktop app saves HTML or PDF (printToPDF) through the native save dialog.
 * The app's CSP forbids inline <style> in documents it opens, so the report's stylesheet is applied through CSSOM.
 */
export async function buildReport(
  selection: RunSelection,
  compare?: { a: string; b: string },
  cost?: { lambdaMemoryMb?: number },
) {
  return api.study.report({ selection, ...(compare ? { compare } : {}), ...(cost ? { cost } : {}) });
}

export function openReportWindow(html: string, print = false): Window | null {
  const w = window.open('', '_blank');
  if (!w) {
    toast('The browser blocked the new tab: allow pop-ups for this page, or use Save HTML.');
    return null;
  }
  const css = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]).join('\n');
  w.document.open();
  w.document.write(html.replace(/<style>[\s\S]*?<\/style>/g, ''));
  w.document.close();
  try {
    const sheet = new (w as unknown as typeof globalThis).CSSStyleSheet();
    sheet.replaceSync(css);
    w.document.adoptedStyleSheets = [sheet];
  } catch {
    // An engine without constructable stylesheets still shows the report, unstyled.
  }
  if (print) setTimeout(() => w.print(), 300);
  return w;
}

export async function saveReportHtml(html: string, fileName: string) {
  if (await saveFile(fileName, html, 'text/html')) toast('Saved the HTML report');
}

export async function saveReportPdf(html: string, fileName: string) {
  if (!isElectron) {
    openReportWindow(html, true);
    return;
  }
  const r = await api.study.reportPdf({ html, suggestedName: fileName.replace(/\.html$/, '.pdf') });
  if (r.path) toast(`Saved ${r.path}`);
}
