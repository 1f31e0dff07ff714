/**
 * Where a PR stands with its reviewers: the supervisor (the App's own reviews)
 * and the people with write access. Pure; the reader supplies the facts.
 */

export interface ReviewFact {
  id: number;
  reviewer: string;
  /** Submitted by the App itself (the supervisor's review). */
  byApp: boolean;
  /** A person with write access (OWNER, MEMBER, COLLABORATOR); others' reviews are untrusted data. */
  trusted: boolean;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  /** The commit the review was submitted on. */
  commitSha: string;
  /**
   * The review's commit has the same change as the head: it is the head, or the
   * head is a clean update of it onto a newer base (same patch id).
   */
  coversHead: boolean;
}

export interface ReviewStanding {
  /** The supervisor approved this change (on the head, or on a commit with the same patch). */
  supervisorApproved: boolean;
  /** The supervisor asked for changes to this change. */
  supervisorRequestedChanges: boolean;
  /**
   * The supervisor already reviewed exactly this head commit — never submit a
   * second review (a person who dismissed it wants a person's verdict instead).
   */
  supervisorReviewedHead: boolean;
  /** Trusted people whose standing verdict on this change is "approved". */
  humanApprovers: string[];
  /** Trusted people asking for changes to this change: the worker must address them. */
  humanChangesRequested: string[];
  /** Trusted people whose request for changes was on an older change: it stands until they re-review. */
  humanChangesRequestedEarlier: string[];
}

/** GitHub's rule: a person's latest approve / request-changes / dismissal is their standing verdict. */
function standingVerdicts(reviews: readonly ReviewFact[]): ReviewFact[] {
  const byReviewer = new Map<string, ReviewFact>();
  for (const review of [...reviews].sort((a, b) => a.id - b.id)) {
    if (review.state === 'COMMENTED' || review.state === 'PENDING') continue;
    byReviewer.set(review.reviewer, review);
  }
  return [...byReviewer.values()];
}

export function reviewStanding(reviews: readonly ReviewFact[], headSha: string): ReviewStanding {
  const own = reviews.filter((r) => r.byApp);
  const people = reviews.filter((r) => !r.byApp && r.trusted);
  const supervisor = standingVerdicts(own).at(0);
  const verdicts = standingVerdicts(people);
  const approvedNow = (r: ReviewFact) => r.state === 'APPROVED' && r.coversHead;
  const changesRequested = (r: ReviewFact) => r.state === 'CHANGES_REQUESTED';
  return {
    supervisorApproved: supervisor !== undefined && approvedNow(supervisor),
    supervisorRequestedChanges:
      supervisor !== undefined && changesRequested(supervisor) && supervisor.coversHead,
    supervisorReviewedHead: own.some((r) => r.commitSha === headSha && r.state !== 'PENDING'),
    humanApprovers: verdicts.filter(approvedNow).map((r) => r.reviewer),
    humanChangesRequested: verdicts
      .filter((r) => changesRequested(r) && r.coversHead)
      .map((r) => r.reviewer),
    humanChangesRequestedEarlier: verdicts
      .filter((r) => changesRequested(r) && !r.coversHead)
      .map((r) => r.reviewer),
  };
}
