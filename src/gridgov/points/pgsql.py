"""The ledger's server-side functions on PostgreSQL, as they are now: the text the latest migration installs.

Only what is generic lives in the database: the balance rule and the batch posting of legs. What a
redemption means — its idempotency key, the monthly limit, the stock, the audit row — is decided in
Python (`services.redemption`), inside the batch's transaction, so it is written once for both databases.

* `gridgov_points_apply(ids, amounts)` changes the cached balances of a posting, locking in the ledger's
  order (docs/points.md, "Lock order"): first the row of every unsplit account, ascending by id (one
  conditional UPDATE each, `balance >= debit`), then the slots of the split accounts, ascending by
  account id. A split account's leg takes a free slot that can carry it (`FOR NO KEY UPDATE SKIP
  LOCKED`), gathers several free slots for a debit none carries alone, or, when every slot is busy,
  waits for one fitting slot; only when the free slots cannot pay does it lock all the account's slots
  in slot order and spread the debit (or refuse it when the total is short). The fast pass runs in a
  subtransaction, so the slow pass starts from a clean slate. Returns the id of the first account
  without enough points, or NULL; it raises nothing on a refusal, so the caller decides what to roll
  back (a savepoint for a batch, the whole service transaction otherwise).
* `gridgov_points_post(tx, accounts, amounts, expires, at)` is the generic batch posting: the entry rows
  of transactions the caller has already inserted (one per leg, the account's path copied) and then each
  account's balance once, the net of its legs, through `gridgov_points_apply`. Every transaction's legs
  must sum to 0 (checked; a violation raises).
* `gridgov_points_redeem_context(...)` reads what a batch of redemption requests needs in one query: it
  decides nothing. It joins eight tables; planned freely per call, choosing its join order costs more than
  running it. Its plan is known — for each request row, one unique-key index lookup per table — so the
  function pins it: written join order, nested loops over index scans only (`join_collapse_limit = 1`,
  no seq scans, hash or merge joins), planned once per connection (`force_generic_plan`).

A migration never imports this module. Each migration that installs SQL carries its own frozen copy
(0003_account_slots: the first version; 0005_lock_order: this one), and
`tests/points/test_pgsql_frozen.py` checks that the latest migration's copy equals the text below and,
on PostgreSQL, that the database runs exactly this text. Changing the SQL therefore means a new
migration that drops the old functions and creates the new ones (`CREATE OR REPLACE` cannot change a
`RETURNS TABLE` signature), with a copy of the new text.
"""

from __future__ import annotations

APPLY = r"""
CREATE FUNCTION gridgov_points_apply(p_ids bigint[], p_amounts bigint[])
RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
    v_ids bigint[];
    v_amounts bigint[];
    v_split boolean[];
    n int;
    i int;
    v_id bigint;
    v_amount bigint;
    v_slots int;
    v_negative boolean;
    v_slot bigint;
    v_total bigint;
    v_left bigint;
    v_take bigint;
    v_taken bigint[];
    r record;
BEGIN
    -- The lock order of the ledger: account rows ascending, then slots (accounts ascending).
    SELECT coalesce(array_agg(u.id ORDER BY u.id), ARRAY[]::bigint[]),
           coalesce(array_agg(u.amount ORDER BY u.id), ARRAY[]::bigint[])
      INTO v_ids, v_amounts
      FROM unnest(p_ids, p_amounts) AS u(id, amount)
     WHERE u.amount <> 0;
    n := coalesce(array_length(v_ids, 1), 0);
    v_split := array_fill(false, ARRAY[greatest(n, 1)]);
    -- 1. Rows: every unsplit account, one conditional UPDATE each.
    FOR i IN 1 .. n LOOP
        v_id := v_ids[i];
        v_amount := v_amounts[i];
        SELECT slots, allow_negative INTO v_slots, v_negative FROM points_account WHERE id = v_id;
        IF v_slots IS NULL THEN
            RETURN v_id;
        END IF;
        IF v_slots > 1 THEN
            v_split[i] := true;
            CONTINUE;
        END IF;
        UPDATE points_account SET balance = balance + v_amount
         WHERE id = v_id AND (v_amount > 0 OR v_negative OR balance >= -v_amount);
        IF NOT FOUND THEN
            RETURN v_id;
        END IF;
    END LOOP;
    -- 2. Slots, fast: a split account's leg goes to a free slot that can carry it, or, when all are
    -- busy, waits for one. If no single slot can carry it, the block's subtransaction is rolled back
    -- (releasing every slot it locked) and the slow pass below locks all the slots in order instead.
    BEGIN
        FOR i IN 1 .. n LOOP
            CONTINUE WHEN NOT v_split[i];
            v_id := v_ids[i];
            v_amount := v_amounts[i];
            -- A free slot, fitting ones first; the lock query filters on nothing that can change, so
            -- it never leaves a row locked that it did not return.
            v_slot := NULL;
            SELECT s.id INTO v_slot FROM points_accountslot s WHERE s.account_id = v_id
             ORDER BY (v_amount > 0 OR s.balance >= -v_amount) DESC, random() LIMIT 1
               FOR NO KEY UPDATE SKIP LOCKED;
            IF v_slot IS NOT NULL THEN
                UPDATE points_accountslot SET balance = balance + v_amount
                 WHERE id = v_slot AND (v_amount > 0 OR balance >= -v_amount);
                CONTINUE WHEN FOUND;
                -- No free slot carries the debit alone: gather more free slots, fullest first, until
                -- they do (still without waiting), and take it from them.
                v_taken := ARRAY[v_slot];
                SELECT balance INTO v_total FROM points_accountslot WHERE id = v_slot;
                WHILE v_total < -v_amount LOOP
                    v_slot := NULL;
                    SELECT s.id, s.balance INTO v_slot, v_take FROM points_accountslot s
                     WHERE s.account_id = v_id AND s.id <> ALL (v_taken)
                     ORDER BY s.balance DESC LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
                    IF v_slot IS NULL THEN
                        RAISE EXCEPTION 'free slots cannot carry the leg' USING ERRCODE = 'GP005';
                    END IF;
                    v_taken := v_taken || v_slot;
                    v_total := v_total + v_take;
                END LOOP;
                v_left := -v_amount;
                FOR r IN SELECT id, balance FROM points_accountslot
                          WHERE id = ANY (v_taken) AND balance > 0 ORDER BY balance DESC, number LOOP
                    v_take := least(r.balance, v_left);
                    UPDATE points_accountslot SET balance = balance - v_take WHERE id = r.id;
                    v_left := v_left - v_take;
                    EXIT WHEN v_left = 0;
                END LOOP;
                CONTINUE;
            END IF;
            -- Every slot is busy: wait for one fitting slot (this transaction holds no slot of this
            -- account, and waits only in ascending account order).
            UPDATE points_accountslot SET balance = balance + v_amount
             WHERE id = (SELECT s.id FROM points_accountslot s
                          WHERE s.account_id = v_id AND (v_amount > 0 OR s.balance >= -v_amount)
                          ORDER BY random() LIMIT 1)
               AND (v_amount > 0 OR balance >= -v_amount)
            RETURNING id INTO v_slot;
            IF v_slot IS NULL THEN
                RAISE EXCEPTION 'no slot can carry the leg' USING ERRCODE = 'GP005';
            END IF;
        END LOOP;
        RETURN NULL;
    EXCEPTION WHEN SQLSTATE 'GP005' THEN
        NULL;  -- fall through to the slow pass
    END;
    -- 3. Slots, slow: each split account's slots all locked in slot order, accounts ascending (a fixed
    -- global order, so waiting here cannot deadlock).
    FOR i IN 1 .. n LOOP
        CONTINUE WHEN NOT v_split[i];
        v_id := v_ids[i];
        v_amount := v_amounts[i];
        SELECT sum(balance) INTO v_total FROM (
            SELECT balance FROM points_accountslot WHERE account_id = v_id ORDER BY number
               FOR NO KEY UPDATE
        ) locked;
        IF v_total IS NULL OR v_total < -v_amount THEN
            RETURN v_id;
        END IF;
        IF v_amount > 0 THEN
            UPDATE points_accountslot SET balance = balance + v_amount
             WHERE id = (SELECT id FROM points_accountslot WHERE account_id = v_id
                          ORDER BY balance, number LIMIT 1);
            CONTINUE;
        END IF;
        -- A debit: from the fullest slots first (one slot when one can carry it).
        v_left := -v_amount;
        FOR r IN SELECT id, balance FROM points_accountslot
                  WHERE account_id = v_id AND balance > 0 ORDER BY balance DESC, number LOOP
            v_take := least(r.balance, v_left);
            UPDATE points_accountslot SET balance = balance - v_take WHERE id = r.id;
            v_left := v_left - v_take;
            EXIT WHEN v_left = 0;
        END LOOP;
    END LOOP;
    RETURN NULL;
END
$fn$;
"""

# The legs of transactions already inserted by the caller: their entries, then the balances once.
POST = r"""
CREATE FUNCTION gridgov_points_post(p_tx bigint[], p_accounts bigint[], p_amounts bigint[],
                                    p_expires date[], p_at timestamptz)
RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
    v_ids bigint[];
    v_net bigint[];
    v_unbalanced bigint;
BEGIN
    SELECT l.tx INTO v_unbalanced FROM unnest(p_tx, p_amounts) AS l(tx, amount)
     GROUP BY l.tx HAVING sum(l.amount) <> 0 OR bool_or(l.amount = 0) LIMIT 1;
    IF v_unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'the legs of transaction % do not balance', v_unbalanced;
    END IF;
    INSERT INTO points_entry (transaction_id, account_id, amount, expires_on, area_path, created_at)
    SELECT l.tx, l.account, l.amount, CASE WHEN l.amount > 0 THEN l.expires END, a.area_path, p_at
      FROM unnest(p_tx, p_accounts, p_amounts, p_expires) AS l(tx, account, amount, expires)
      JOIN points_account a ON a.id = l.account;
    SELECT array_agg(t.account ORDER BY t.account), array_agg(t.net ORDER BY t.account)
      INTO v_ids, v_net
      FROM (SELECT l.account, sum(l.amount)::bigint AS net
              FROM unnest(p_accounts, p_amounts) AS l(account, amount)
             GROUP BY l.account) t;
    RETURN gridgov_points_apply(v_ids, v_net);
END
$fn$;
"""

# One read for a batch of redemption requests: per request, merchant and its account, scenario, resident
# and their account, and the redemption a taken key names.
CONTEXT = r"""
CREATE FUNCTION gridgov_points_redeem_context(
    p_scenarios bigint[], p_residents bigint[], p_keys text[], p_merchants bigint[]
) RETURNS TABLE (
    ord integer,
    m_id bigint, m_name text, m_kind text, m_path text, m_user bigint, m_active boolean, m_account bigint,
    s_id bigint, s_name text, s_price bigint, s_has_stock boolean, s_monthly_limit integer,
    s_groups text, s_kinds text, s_path text, s_active boolean,
    r_id bigint, r_name text, r_path text, r_birth date, r_account bigint,
    rd_id bigint, rd_merchant bigint, rd_scenario bigint, rd_quantity integer, t_id bigint, r_active boolean,
    rd_resident bigint
) LANGUAGE plpgsql STABLE
  SET plan_cache_mode = force_generic_plan SET join_collapse_limit = 1 SET from_collapse_limit = 1
  SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $fn$
BEGIN
    RETURN QUERY
    SELECT q.o::integer,
           m.id::bigint, m.name::text, m.kind::text, m.area_path::text, m.user_id::bigint, m.is_active,
           ma.id::bigint,
           s.id::bigint, s.name::text, s.price::bigint, s.stock IS NOT NULL, s.monthly_limit::integer,
           s.eligible_groups::text, s.merchant_kinds::text, s.area_path::text, s.is_active,
           r.id::bigint, r.name::text, r.area_path::text, r.birth_date, ra.id::bigint,
           rd.id::bigint, rd.merchant_id::bigint, rd.scenario_id::bigint, rd.quantity::integer, t.id::bigint,
           r.is_active, rd.resident_id::bigint
      FROM unnest(p_scenarios, p_residents, p_keys, p_merchants) WITH ORDINALITY
           AS q(scenario, resident, key, merchant, o)
      JOIN points_merchant m ON m.id = q.merchant
      JOIN points_scenario s ON s.id = q.scenario
      LEFT JOIN people_resident r ON r.id = q.resident
      LEFT JOIN points_account ma ON ma.owner_kind = 'merchant' AND ma.owner_id = m.id
      LEFT JOIN points_account ra ON ra.owner_kind = 'resident' AND ra.owner_id = r.id
      LEFT JOIN points_transaction t ON t.idempotency_key = q.key
      LEFT JOIN points_redemption rd ON rd.transaction_id = t.id;
END
$fn$;
"""

# What the latest migration installs, by signature (the test compares the two).
FUNCTIONS = {
    "gridgov_points_apply(bigint[], bigint[])": APPLY,
    "gridgov_points_post(bigint[], bigint[], bigint[], date[], timestamptz)": POST,
    "gridgov_points_redeem_context(bigint[], bigint[], text[], bigint[])": CONTEXT,
}
