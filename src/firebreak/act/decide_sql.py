"""PostgreSQL: a reviewer's decision (:func:`firebreak.act.decisions.decide`) as ONE statement.

The statement runs as its own transaction (one round trip, committed durably before
it returns). It locks the case, checks it (exists, not merged, every chosen account a
member), locks the accounts' enforcement rows, applies the policy's action rules
(state, strikes, disable at the strike limit: the same rules as
``decisions._compute``, which SQLite and takedowns use) and writes the decision,
enforcement, action rows, audit entries, the reports about the accounts, the case's
closing and the lease's completion. A failed check writes nothing and says why; a
replayed key writes nothing but the lease's completion; a lease that is no longer
held aborts the whole statement (a failed cast carrying :data:`LEASE_LOST_MARK`).
"""

from __future__ import annotations

import re

#: the text of the error the statement raises when the caller's lease is no longer held.
LEASE_LOST_MARK = "firebreak: lease lost"

#: psycopg caches its parse of a statement only up to 4096 bytes: the parameters are
#: named once (CTE ``x``) and the text is sent with its whitespace collapsed (none of
#: its string literals holds a comma, a parenthesis, an equals sign or two spaces).
_DECIDE = """
WITH x AS (
    SELECT %(case_id)s::bigint AS case_id, %(t)s::timestamptz AS t, %(actor)s::text AS actor,
           %(reason)s::text AS reason, %(policy_version)s::text AS pv, %(accounts)b::text[] AS accounts,
           %(enforced)b::text[] AS enforced, %(dismissed)b::text[] AS dismissed, %(close)s::bool AS close,
           %(leased)s::bool AS leased
), c AS (
    SELECT id, state, network, evidence_version AS ev, merged_into FROM cases WHERE id = %(case_id)s FOR UPDATE
), k0 AS (
    SELECT c.*, (SELECT count(*) FROM case_members m, x WHERE m.case_id = c.id AND m.account = ANY(x.accounts)) AS found
    FROM c
), ok AS (
    SELECT k0.*, coalesce(%(key)s::text, 'decide:' || k0.id || ':' || k0.ev || ':' || %(digest)s)
           AS key
    FROM k0, x WHERE k0.state <> 'merged' AND k0.found = cardinality(x.accounts)
), cur AS (
    SELECT e.account, e.state, e.strikes FROM accounts_enforcement e, x
    WHERE e.account = ANY(x.accounts) AND EXISTS (SELECT FROM ok)
    ORDER BY e.account FOR UPDATE OF e
), q AS (
    SELECT v.account, v.action, f.from_state, f.strikes, CASE WHEN h.hit THEN 'disabled' ELSE f.ru END AS to_state,
           v.rule || CASE WHEN h.hit THEN '+strikes.disable_at' ELSE '' END AS rule
    FROM unnest(%(accounts)b::text[], %(acts)b::text[], %(rules)b::text[], %(rule_states)b::text[],
                %(rule_strikes)b::int[]) AS v(account, action, rule, state, n)
    LEFT JOIN cur ON cur.account = v.account,
    LATERAL (SELECT coalesce(cur.state, 'none') AS from_state, coalesce(cur.strikes, 0) + v.n AS strikes,
                    coalesce(nullif(v.state, ''), cur.state, 'none') AS ru) f,
    LATERAL (SELECT f.strikes >= %(disable_at)s AND f.ru <> 'disabled' AS hit) h
), d AS (
    INSERT INTO decisions (key, case_id, scope, actor, reason, policy_version, evidence_version, decided_at)
    SELECT ok.key, ok.id, 'account', x.actor, x.reason, x.pv, ok.ev, x.t FROM ok, x
    ON CONFLICT (key) DO NOTHING
    RETURNING id, key
), e AS (
    INSERT INTO accounts_enforcement AS ae (account, state, network, reason, updated_by, updated_at, strikes)
    SELECT q.account, q.to_state, ok.network, x.reason, x.actor, x.t, q.strikes FROM q, d, ok, x
    ON CONFLICT (account) DO UPDATE SET state = excluded.state, network = excluded.network,
        reason = excluded.reason, updated_by = excluded.updated_by, updated_at = excluded.updated_at,
        strikes = excluded.strikes
), a AS (
    INSERT INTO actions (decision_id, case_id, account, action, rule, from_state, to_state, applied_at)
    SELECT d.id, x.case_id, q.account, q.action, q.rule, q.from_state, q.to_state, x.t FROM q, d, x
), au AS (
    INSERT INTO audit_log (at, actor, action, subject_kind, subject, detail)
    SELECT x.t, x.actor, y.action, y.kind, y.subject, y.detail FROM x, (
        SELECT 0 AS part, q.account AS ord, 'action.' || q.action AS action, 'account' AS kind, q.account AS subject,
               jsonb_build_object('decision', d.id, 'case', x.case_id, 'rule', q.rule, 'from', q.from_state,
                                  'to', q.to_state, 'strikes', q.strikes, 'reason', x.reason,
                                  'evidence_version', ok.ev, 'policy_version', x.pv) AS detail
        FROM q, d, ok, x
        UNION ALL
        SELECT 1, '', 'case.decided', 'case', x.case_id::text, %(case_detail)s::jsonb
               || jsonb_build_object('decision', d.id, 'key', d.key, 'evidence_version', ok.ev)
        FROM d, ok, x
    ) y ORDER BY y.part, y.ord
), r AS (
    UPDATE reports SET state = CASE WHEN target = ANY(x.enforced) THEN 'actioned' ELSE 'dismissed' END,
        resolved_by = x.actor, updated_at = x.t
    FROM x WHERE (target = ANY(x.enforced) OR target = ANY(x.dismissed))
      AND state IN ('queued', 'in_review') AND EXISTS (SELECT FROM d)
), cl AS (
    UPDATE cases SET state = 'closed', outcome = %(outcome)s, closed_at = x.t, updated_at = x.t
    FROM x WHERE id = %(case_id)s AND x.close AND EXISTS (SELECT FROM d)
), w AS (
    UPDATE work_items SET state = 'done', finished_at = x.t, updated_at = x.t, lease_token = NULL,
        lease_expires_at = NULL
    FROM x WHERE (id = %(item)s AND state = 'leased' AND lease_token = %(token)s AND lease_expires_at >= x.t
                  AND EXISTS (SELECT FROM ok))
              OR (kind = 'case' AND subject = %(subject)s AND state = 'ready' AND x.close AND EXISTS (SELECT FROM d))
    RETURNING id
)
SELECT (SELECT state FROM k0), (SELECT merged_into FROM k0), (SELECT key FROM ok), (SELECT id FROM d),
       (SELECT ev FROM ok),
       (SELECT coalesce(json_agg(json_build_array(q.account, q.action, q.rule, q.from_state, q.to_state, q.strikes)
                                 ORDER BY q.account), '[]') FROM q),
       CASE WHEN x.leased AND EXISTS (SELECT FROM ok) AND (SELECT count(*) FROM w) <> 1
            THEN ('""" + LEASE_LOST_MARK + """ ' || x.leased)::int END
FROM x
"""
DECIDE = re.sub(r"\s*([,()=])\s*", r"\1", " ".join(_DECIDE.split()))
