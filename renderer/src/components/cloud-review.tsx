import type { CloudReview } from '../../../app/common/contract/index.ts';

/**
 * The "Review" step of a cloud run: the payload that would be sent and, on the study's CAI pipeline, the rank plan
 * its initializer will make (which file(s) each rank gets) with the warnings the user must accept before starting.
 */
export function CloudReviewView({ review }: { review: CloudReview }) {
  const plan = review.rankPlan;
  return (
    <div data-testid="cloud-review">
      <h3>Payload</h3>
      <pre style={{ fontSize: 12, whiteSpace: 'pre-wrap' }} data-testid="review-payload">
        {review.text}
      </pre>
      {review.stageWarnings.length > 0 && (
        <div className="notice">
          <strong>Staging</strong>
          <ul>
            {review.stageWarnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      {plan ? (
        <>
          <h3>Rank plan</h3>
          <p className="muted">
            As the study's initializer will assign them: the first {plan.fileLimit} .pt file(s) of one listing of s3://
            {plan.dataBucket}/{plan.dataPrefix} in S3's order, over {plan.worldSize} rank(s).
          </p>
          <table data-testid="rank-plan">
            <thead>
              <tr>
                <th>Rank</th>
                <th>File(s)</th>
              </tr>
            </thead>
            <tbody>
              {plan.ranks.map((r) => (
                <tr key={r.rank}>
                  <td>{r.rank}</td>
                  <td>
                    {r.dataPath === null ? (
                      <em>no data (invoked and billed, no result)</em>
                    ) : Array.isArray(r.dataPath) ? (
                      r.dataPath.join(', ')
                    ) : (
                      r.dataPath
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {plan.warnings.length > 0 ? (
            <div className="error-box" data-testid="rank-plan-warnings">
              <strong>Warnings</strong>
              <ul>
                {plan.warnings.map((w, i) => (
                  <li key={i}>{w}</li>
                ))}
              </ul>
            </div>
          ) : (
            <div className="muted">No warnings: every rank gets data.</div>
          )}
        </>
      ) : (
        <p className="muted">Our own stack: each worker takes one partition; there is no rank plan to review.</p>
      )}
    </div>
  );
}
