"""The ledger's posting path on PostgreSQL, as server-side functions (one round trip per posting).

Why in the database: a hot account's row lock is held from its UPDATE to COMMIT. Posted from Python,
that window spans several round trips and, under load, the time the client waits to be scheduled
again; here it spans a few microseconds of server work, and with split accounts (`AccountSlot`) there
is no single hot row at all.

* `gridgov_points_apply(ids, amounts)` changes the cached balances of a posting, in the order given
  (the caller sorts by account id). An unsplit account is one conditional UPDATE
  (`balance >= debit`); a split account takes a free slot that can carry the leg
  (`FOR UPDATE SKIP LOCKED`) or, when every slot is busy, waits for one fitting slot; only when no
  single slot can carry a debit does it lock all the slots in slot order and spread the debit (or
  refuse it when the total is short). No deadlock: a transaction waits for a slot only while it
  holds no slot of that account, and accounts are taken in ascending id order; the fast pass runs
  in a subtransaction, so the slow pass starts from a clean slate. Returns the id
  of the first account without enough points, or NULL; it raises nothing, so a refusal inside a
  larger transaction leaves that transaction usable for the caller's rollback.
* `gridgov_points_redeem(...)` posts one validated redemption: idempotency key, per-resident monthly
  limit, stock, transaction, entries, redemption, audit row and balances. It raises SQLSTATE GP0xx on
  a refusal so that everything it did is undone with the statement.

* `gridgov_points_redeem_context(...)` reads what a batch of redemption requests needs in one query.

The read joins eight tables; planned freely per call, choosing its join order costs more than running
it. Its plan is known — for each request row, one unique-key index lookup per table — so
`gridgov_points_redeem_context` pins it: written join order, nested loops over index scans only
(`join_collapse_limit = 1`, no seq scans, hash or merge joins), planned once per connection
(`force_generic_plan`). A plan made while the tables were small therefore stays right when they are
large.

Validation that only reads (merchant, scenario, resident, eligibility, scope) stays in Python and is
shared with the SQLite path (`services.redemption._validate_redemption`). Changing the SQL below
needs a new migration that calls `install()` again.
"""

from __future__ import annotations

APPLY = r"""
CREATE OR REPLACE FUNCTION gridgov_points_apply(p_ids bigint[], p_amounts bigint[])
RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
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
    -- Fast: a split account's leg goes to a free slot that can carry it, or, when all are busy, waits
    -- for one. If no single slot can carry it, the block's subtransaction is rolled back (releasing
    -- every lock it took) and the slow pass below locks all the slots in order instead.
    BEGIN
        FOR i IN 1 .. coalesce(array_length(p_ids, 1), 0) LOOP
            v_id := p_ids[i];
            v_amount := p_amounts[i];
            CONTINUE WHEN v_amount = 0;
            SELECT slots, allow_negative INTO v_slots, v_negative FROM points_account WHERE id = v_id;
            IF v_slots IS NULL THEN
                RETURN v_id;
            END IF;
            IF v_slots <= 1 THEN
                UPDATE points_account SET balance = balance + v_amount
                 WHERE id = v_id AND (v_amount > 0 OR v_negative OR balance >= -v_amount);
                IF NOT FOUND THEN
                    RETURN v_id;
                END IF;
                CONTINUE;
            END IF;
            -- A free slot, fitting ones first; the lock query filters on nothing that can change, so
            -- it never leaves a row locked that it did not return.
            v_slot := NULL;
            SELECT s.id INTO v_slot FROM points_accountslot s WHERE s.account_id = v_id
             ORDER BY (v_amount > 0 OR s.balance >= -v_amount) DESC, random() LIMIT 1
               FOR UPDATE SKIP LOCKED;
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
                     ORDER BY s.balance DESC LIMIT 1 FOR UPDATE SKIP LOCKED;
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
    -- Slow: accounts in the order given, a split account's slots all locked in slot order (a fixed
    -- global order, so waiting here cannot deadlock; the fast pass never waits for a slot).
    FOR i IN 1 .. coalesce(array_length(p_ids, 1), 0) LOOP
        v_id := p_ids[i];
        v_amount := p_amounts[i];
        CONTINUE WHEN v_amount = 0;
        SELECT slots, allow_negative INTO v_slots, v_negative FROM points_account WHERE id = v_id;
        IF v_slots IS NULL THEN
            RETURN v_id;
        END IF;
        IF v_slots <= 1 THEN
            UPDATE points_account SET balance = balance + v_amount
             WHERE id = v_id AND (v_amount > 0 OR v_negative OR balance >= -v_amount);
            IF NOT FOUND THEN
                RETURN v_id;
            END IF;
            CONTINUE;
        END IF;
        SELECT sum(balance) INTO v_total FROM (
            SELECT balance FROM points_accountslot WHERE account_id = v_id ORDER BY number FOR UPDATE
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

ITEM_TYPE = r"""
DO $do$ BEGIN
    CREATE TYPE gridgov_redeem_item AS (
        key text, hash text, memo text, created_by integer,
        resident bigint, resident_path text, resident_account bigint,
        merchant bigint, merchant_path text, merchant_account bigint,
        scenario bigint, quantity integer, points bigint, month date,
        monthly_limit integer, has_stock boolean,
        actor_label text, source text, request_id text, object_type integer
    );
EXCEPTION WHEN duplicate_object THEN NULL;
END $do$;
"""

# One or more validated redemptions, posted in one transaction (one commit for the batch). Each item
# gets its own outcome: ok, replay, or the SQLSTATE of its refusal (GP001 points, GP002 stock, GP003
# monthly limit with the count used so far, GP004 key used by another request).
REDEEM = r"""
CREATE OR REPLACE FUNCTION gridgov_points_redeem_batch(p_items jsonb)
RETURNS TABLE (ord integer, outcome text, redemption_id bigint, transaction_id bigint,
               created_at timestamptz, detail text)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    items gridgov_redeem_item[];
    it gridgov_redeem_item;
    n integer;
    i integer;
    k integer;
    v_now timestamptz := clock_timestamp();
    v_tx bigint;
    v_red bigint;
    v_used bigint;
    v_short bigint;
    v_slow boolean := false;
    r record;
    o_outcome text[];
    o_red bigint[];
    o_tx bigint[];
    o_at timestamptz[];
    o_detail text[];
    acc_ids bigint[];      -- the accounts the batch moves, ascending
    acc_net bigint[];      -- their net change so far
    acc_left bigint[];     -- slow pass: what each account still holds
    accepted integer[];    -- the items posted (their rows are written after the loop)
    dup_of integer[];      -- an item repeating an earlier item's key: that item
    ins_keys text[];       -- the keys whose transaction row this batch inserted…
    ins_ids bigint[];      -- …those rows…
    claimed integer[];     -- …and the item each row belongs to
    j integer;
BEGIN
    SELECT array_agg(jsonb_populate_record(NULL::gridgov_redeem_item, e) ORDER BY o)
      INTO items FROM jsonb_array_elements(p_items) WITH ORDINALITY AS a(e, o);
    n := coalesce(array_length(items, 1), 0);
    IF n = 0 THEN
        RETURN;
    END IF;
    SELECT array_agg(DISTINCT a ORDER BY a) INTO acc_ids FROM (
        SELECT x.resident_account AS a FROM unnest(items) x UNION SELECT x.merchant_account FROM unnest(items) x
    ) accounts;
    -- An account that plainly cannot pay the batch's total (a read, no lock): start with the slow
    -- pass rather than write the batch only to undo it. A race either way is caught below.
    SELECT coalesce(bool_or(NOT a.allow_negative AND a.balance + coalesce(sl.total, 0) < d.need), false)
      INTO v_slow
      FROM (SELECT x.resident_account AS id, sum(x.points) AS need FROM unnest(items) x GROUP BY 1) d
      JOIN points_account a ON a.id = d.id
      LEFT JOIN LATERAL (SELECT sum(s.balance) AS total FROM points_accountslot s
                          WHERE s.account_id = a.id) sl ON true;
    <<attempt>>
    LOOP
        o_outcome := array_fill(NULL::text, ARRAY[n]);
        o_red := array_fill(NULL::bigint, ARRAY[n]);
        o_tx := array_fill(NULL::bigint, ARRAY[n]);
        o_at := array_fill(NULL::timestamptz, ARRAY[n]);
        o_detail := array_fill(NULL::text, ARRAY[n]);
        acc_net := array_fill(0::bigint, ARRAY[array_length(acc_ids, 1)]);
        accepted := ARRAY[]::integer[];
        dup_of := array_fill(NULL::integer, ARRAY[n]);
        BEGIN
            -- Locks in a fixed order: unsplit accounts and accounts under a monthly limit, then stocked
            -- scenarios (both ascending); slots of split accounts last (gridgov_points_apply).
            PERFORM 1 FROM points_account a
             WHERE a.id = ANY (acc_ids)
               AND (a.slots <= 1 OR a.id IN (SELECT x.resident_account FROM unnest(items) x
                                              WHERE x.monthly_limit IS NOT NULL))
             ORDER BY a.id FOR UPDATE;
            PERFORM 1 FROM points_scenario s
             WHERE s.id IN (SELECT x.scenario FROM unnest(items) x WHERE x.has_stock)
             ORDER BY s.id FOR UPDATE;
            IF v_slow THEN
                -- Slow pass: every slot of every split account too, and what each account holds.
                PERFORM 1 FROM points_accountslot sl WHERE sl.account_id = ANY (acc_ids)
                 ORDER BY sl.account_id, sl.number FOR UPDATE;
                SELECT array_agg(coalesce(a.balance + (SELECT sum(sl.balance) FROM points_accountslot sl
                                                       WHERE sl.account_id = a.id), a.balance)
                                 ORDER BY a.id)
                  INTO acc_left FROM points_account a WHERE a.id = ANY (acc_ids);
            END IF;
            -- The transaction rows of the whole batch in one statement; a key already taken (before
            -- this batch, or by an earlier item of it) gets no row.
            WITH ins AS (
                INSERT INTO points_transaction (idempotency_key, payload_hash, kind, memo, area_path,
                                                created_at, created_by_id, reverses_id)
                SELECT x.key, x.hash, 'redeem', left(x.memo, 200), x.resident_path, v_now, x.created_by, NULL
                  FROM unnest(items) x
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING id, idempotency_key
            )
            SELECT coalesce(array_agg(ins.idempotency_key), ARRAY[]::text[]),
                   coalesce(array_agg(ins.id), ARRAY[]::bigint[])
              INTO ins_keys, ins_ids
              FROM ins;
            claimed := array_fill(NULL::integer, ARRAY[greatest(array_length(ins_ids, 1), 1)]);
            FOR i IN 1 .. n LOOP
                it := items[i];
                -- No subtransaction per item: every check comes before the item's rows are written, and
                -- a refused item's transaction row is deleted again.
                v_tx := NULL;
                k := array_position(ins_keys, it.key);
                IF k IS NOT NULL AND claimed[k] IS NULL THEN
                    v_tx := ins_ids[k];
                    claimed[k] := i;
                ELSIF k IS NOT NULL AND o_outcome[claimed[k]] IS DISTINCT FROM 'ok' THEN
                    -- The same key as an earlier item of this batch that was refused (its row is gone).
                    INSERT INTO points_transaction (idempotency_key, payload_hash, kind, memo, area_path,
                                                    created_at, created_by_id, reverses_id)
                    VALUES (it.key, it.hash, 'redeem', left(it.memo, 200), it.resident_path, v_now,
                            it.created_by, NULL)
                    ON CONFLICT (idempotency_key) DO NOTHING
                    RETURNING id INTO v_tx;
                    claimed[k] := i;
                END IF;
                IF v_tx IS NULL AND k IS NOT NULL THEN
                    -- A repeat of an earlier item of this batch: the same request (a replay) or not.
                    j := claimed[k];
                    IF (items[j]).merchant <> it.merchant OR (items[j]).scenario <> it.scenario
                       OR (items[j]).quantity <> it.quantity THEN
                        o_outcome[i] := 'GP004';
                    ELSE
                        o_outcome[i] := 'replay';
                        dup_of[i] := j;
                    END IF;
                    CONTINUE;
                END IF;
                IF v_tx IS NULL THEN
                    -- The key was taken before this batch.
                    SELECT rd.id, rd.merchant_id, rd.scenario_id, rd.quantity, rd.transaction_id,
                           rd.created_at AS at
                      INTO r
                      FROM points_transaction t JOIN points_redemption rd ON rd.transaction_id = t.id
                     WHERE t.idempotency_key = it.key;
                    IF r.id IS NULL OR r.merchant_id <> it.merchant OR r.scenario_id <> it.scenario
                       OR r.quantity <> it.quantity THEN
                        o_outcome[i] := 'GP004';
                    ELSE
                        o_outcome[i] := 'replay'; o_red[i] := r.id; o_tx[i] := r.transaction_id;
                        o_at[i] := r.at;
                    END IF;
                    CONTINUE;
                END IF;
                IF it.monthly_limit IS NOT NULL THEN
                    SELECT coalesce(sum(x.quantity), 0) INTO v_used FROM points_redemption x
                     WHERE x.resident_id = it.resident AND x.scenario_id = it.scenario
                       AND x.month = it.month AND NOT x.reversed;
                    IF v_used + it.quantity > it.monthly_limit THEN
                        o_outcome[i] := 'GP003'; o_detail[i] := v_used::text;
                    END IF;
                END IF;
                IF o_outcome[i] IS NULL AND v_slow THEN
                    k := array_position(acc_ids, it.resident_account);
                    IF acc_left[k] < it.points THEN
                        o_outcome[i] := 'GP001'; o_detail[i] := it.resident_account::text;
                    END IF;
                END IF;
                IF o_outcome[i] IS NULL AND it.has_stock THEN
                    UPDATE points_scenario SET stock = stock - it.quantity
                     WHERE id = it.scenario AND stock >= it.quantity;
                    IF NOT FOUND THEN
                        o_outcome[i] := 'GP002';
                    END IF;
                END IF;
                IF o_outcome[i] IS NOT NULL THEN
                    DELETE FROM points_transaction WHERE id = v_tx;
                    CONTINUE;
                END IF;
                IF v_slow THEN
                    k := array_position(acc_ids, it.resident_account);
                    acc_left[k] := acc_left[k] - it.points;
                    k := array_position(acc_ids, it.merchant_account);
                    acc_left[k] := acc_left[k] + it.points;
                END IF;
                k := array_position(acc_ids, it.resident_account);
                acc_net[k] := acc_net[k] - it.points;
                k := array_position(acc_ids, it.merchant_account);
                acc_net[k] := acc_net[k] + it.points;
                o_outcome[i] := 'ok'; o_tx[i] := v_tx; o_at[i] := v_now;
                accepted := accepted || i;
            END LOOP;
            -- The accepted items' rows, a statement per table for the whole batch.
            INSERT INTO points_entry (transaction_id, account_id, amount, expires_on, area_path, created_at)
            SELECT o_tx[g], a.id,
                   CASE WHEN a.id = (items[g]).resident_account THEN -(items[g]).points ELSE (items[g]).points END,
                   NULL, a.area_path, v_now
              FROM unnest(accepted) AS g
              JOIN points_account a ON a.id IN ((items[g]).resident_account, (items[g]).merchant_account);
            FOR r IN
                WITH acc AS (SELECT g, items[g] AS it FROM unnest(accepted) AS g),
                red AS (
                    INSERT INTO points_redemption (transaction_id, resident_id, scenario_id, merchant_id,
                                                   quantity, points, month, area_path, merchant_path,
                                                   reversed, created_at)
                    SELECT o_tx[acc.g], (acc.it).resident, (acc.it).scenario, (acc.it).merchant,
                           (acc.it).quantity, (acc.it).points, (acc.it).month, (acc.it).resident_path,
                           (acc.it).merchant_path, false, v_now
                      FROM acc
                    RETURNING id, transaction_id
                ),
                aud AS (
                    INSERT INTO core_auditevent (created_at, actor_id, actor_label, action, object_type_id,
                                                 object_id, object_repr, area_path, before, after, source,
                                                 request_id)
                    SELECT v_now, (acc.it).created_by, (acc.it).actor_label, 'points.redeem',
                           (acc.it).object_type, red.id::text, (acc.it).scenario || '×' || (acc.it).quantity,
                           (acc.it).resident_path, NULL,
                           jsonb_build_object(
                               'id', red.id, 'transaction_id', red.transaction_id,
                               'resident_id', (acc.it).resident, 'scenario_id', (acc.it).scenario,
                               'merchant_id', (acc.it).merchant, 'quantity', (acc.it).quantity,
                               'points', (acc.it).points, 'month', to_char((acc.it).month, 'YYYY-MM-DD'),
                               'area_path', (acc.it).resident_path, 'merchant_path', (acc.it).merchant_path,
                               'reversed', false, 'created_at', v_now),
                           (acc.it).source, (acc.it).request_id
                      FROM red JOIN acc ON red.transaction_id = o_tx[acc.g]
                )
                SELECT acc.g, red.id FROM red JOIN acc ON red.transaction_id = o_tx[acc.g]
            LOOP
                o_red[r.g] := r.id;
            END LOOP;
            FOR i IN 1 .. n LOOP
                IF dup_of[i] IS NOT NULL THEN
                    o_red[i] := o_red[dup_of[i]];
                    o_tx[i] := o_tx[dup_of[i]];
                    o_at[i] := o_at[dup_of[i]];
                END IF;
            END LOOP;
            -- Balances last, once per account for the whole batch.
            v_short := gridgov_points_apply(acc_ids, acc_net);
            IF v_short IS NOT NULL THEN
                IF v_slow THEN
                    -- cannot happen: the slow pass checked every debit against what the account holds
                    RAISE EXCEPTION 'balance check failed' USING DETAIL = v_short::text;
                END IF;
                RAISE EXCEPTION 'short' USING ERRCODE = 'GP006';
            END IF;
            EXIT attempt;
        EXCEPTION WHEN SQLSTATE 'GP006' THEN
            -- Some account cannot pay the batch's total: undo it all and go item by item, in order.
            v_slow := true;
        END;
    END LOOP;
    RETURN QUERY SELECT g, o_outcome[g], o_red[g], o_tx[g], o_at[g], o_detail[g]
                   FROM generate_series(1, n) g;
END
$fn$;
"""


# Balance rows are updated all the time: leave room on each page so updates stay HOT (no new index
# entries), and let autovacuum clean the small slot table often.
STORAGE = r"""
ALTER TABLE points_accountslot SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0,
                                    autovacuum_vacuum_threshold = 2000);
ALTER TABLE points_account SET (fillfactor = 70);
"""


# One read for a batch of redemption requests: per request, merchant and its account, scenario, resident and their account, and what the key names.
CONTEXT = r"""
CREATE OR REPLACE FUNCTION gridgov_points_redeem_context(
    p_scenarios bigint[], p_residents bigint[], p_keys text[], p_merchants bigint[]
) RETURNS TABLE (
    ord integer,
    m_id bigint, m_name text, m_kind text, m_path text, m_user bigint, m_active boolean, m_account bigint,
    s_id bigint, s_name text, s_price bigint, s_has_stock boolean, s_monthly_limit integer,
    s_groups text, s_kinds text, s_path text, s_active boolean,
    r_id bigint, r_name text, r_path text, r_birth date, r_account bigint,
    rd_id bigint, rd_merchant bigint, rd_scenario bigint, rd_quantity integer, t_id bigint, r_active boolean
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
           r.is_active
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


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPLY)
        schema_editor.execute(ITEM_TYPE)
        schema_editor.execute(REDEEM)
        schema_editor.execute(CONTEXT)
        schema_editor.execute(STORAGE)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS gridgov_points_redeem_context")
        schema_editor.execute("DROP FUNCTION IF EXISTS gridgov_points_redeem_batch")
        schema_editor.execute("DROP TYPE IF EXISTS gridgov_redeem_item")
        schema_editor.execute("DROP FUNCTION IF EXISTS gridgov_points_apply")
