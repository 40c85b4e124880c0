import { RecommendationPanel } from '../components/recommendation-view.tsx';
import { navigate } from '../lib/router.ts';

/**
 * Study → Recommendation (`#/study/recommend[/<study id>]`): the Lambda memory recommendation of a study's runs, or
 * of every finished cloud run in History.
 */
export function StudyRecommendScreen({ studyId }: { studyId?: string }) {
  return (
    <>
      <h1 className="page-title" data-testid="recommend-title">
        Recommendation
      </h1>
      <p className="page-sub">
        <a href="#/study">All studies</a>
        {studyId ? (
          <>
            {' '}
            · <a href={`#/study/${encodeURIComponent(studyId)}`}>{studyId}</a>
          </>
        ) : (
          ' · every finished cloud run in History'
        )}
      </p>
      <RecommendationPanel selection={studyId ? { study: studyId } : { history: 'cloud' }} />
    </>
  );
}

/** The Study home's door to it. */
export function RecommendationCard() {
  return (
    <div className="card" data-testid="recommend-card">
      <div className="card-head">
        <h2>Lambda memory recommendation</h2>
        <button onClick={() => navigate('study', 'recommend')} data-testid="recommend-open">
          Open
        </button>
      </div>
      <p className="muted">
        Cost vs duration per Lambda memory size over your cloud runs, with the cheapest, the fastest and a balanced pick
        (as AWS Lambda Power Tuning).
      </p>
    </div>
  );
}
