import { useState } from 'react';
import { isElectron } from '../api.ts';
import { buildReport, openReportWindow, saveReportHtml, saveReportPdf } from '../lib/study-report.ts';
import { ErrorBox } from './error-box.tsx';

/** The study report's buttons (open, save HTML, save PDF), shared by the Study, Compare and Import screens. */
export function ReportButtons({
  selection,
  compare,
  cost,
}: {
  selection: Parameters<typeof buildReport>[0];
  compare?: { a: string; b: string };
  cost?: { lambdaMemoryMb?: number };
}) {
  const [error, setError] = useState<unknown>(null);
  const run = (what: 'open' | 'html' | 'pdf') => async () => {
    try {
      const r = await buildReport(selection, compare, cost);
      if (what === 'open') openReportWindow(r.html);
      else if (what === 'html') await saveReportHtml(r.html, r.fileName);
      else await saveReportPdf(r.html, r.fileName);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      {!isElectron && (
        <button className="primary" onClick={run('open')} data-testid="report-open">
          Open report
        </button>
      )}
      <button onClick={run('html')} data-testid="report-html">
        Save HTML
      </button>
      <button
        onClick={run('pdf')}
        data-testid="report-pdf"
        title={isElectron ? 'Save the report as PDF' : 'Opens the report and the print dialog: choose “Save as PDF”'}
      >
        {isElectron ? 'Save PDF' : 'Print / PDF'}
      </button>
      {error ? <ErrorBox error={error} onDismiss={() => setError(null)} title="Could not make the report" /> : null}
    </>
  );
}
