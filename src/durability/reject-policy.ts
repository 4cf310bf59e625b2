/**
 * What happens to a record the schema check refuses, per reason (config `onReject`):
 *   dead-letter       keep it locally, do not send (the default for every reason)
 *   forward           send it to Panther anyway and let Panther decide (counted)
 *   forward-and-keep  send it, and keep a copy in the dead-letter store with the reason
 * Records Panther cannot parse either (invalid_json, not_an_object, line_too_long) are never forwarded:
 * the config check refuses such a policy.
 */
import { REJECT_REASONS, type RejectReason } from '../schema/verdict.js';

export const REJECT_ACTIONS = ['dead-letter', 'forward', 'forward-and-keep'] as const;
export type RejectAction = (typeof REJECT_ACTIONS)[number];

/** Reasons whose records Panther could not parse: only the dead-letter store can take them. */
export const UNFORWARDABLE: readonly RejectReason[] = ['invalid_json', 'not_an_object', 'line_too_long'];

export type RejectPolicyConfig = Readonly<Partial<Record<RejectReason | 'default', RejectAction>>>;

/** Problems with an `onReject` block, one line each (for the config validator). */
export function checkRejectPolicy(policy: RejectPolicyConfig): string[] {
  const problems: string[] = [];
  for (const [key, action] of Object.entries(policy)) {
    if (key === 'default') continue;
    if (!(REJECT_REASONS as readonly string[]).includes(key)) problems.push(`onReject.${key}: unknown reason (one of default, ${REJECT_REASONS.join(', ')})`);
    else if (action !== 'dead-letter' && UNFORWARDABLE.includes(key as RejectReason)) {
      problems.push(`onReject.${key}: ${action} is impossible: Panther cannot parse ${key} records either; only dead-letter`);
    }
  }
  return problems;
}

/** Decides per reason; unforwardable reasons always dead-letter whatever `default` says. */
export class RejectPolicy {
  constructor(private readonly policy: RejectPolicyConfig) {}

  actionFor(reason: RejectReason): RejectAction {
    if (UNFORWARDABLE.includes(reason)) return 'dead-letter';
    return this.policy[reason] ?? this.policy.default ?? 'dead-letter';
  }
}
