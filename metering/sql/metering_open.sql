-- Installed by metering/migrations/0004; a change to this file needs a migration that runs it again.
-- metering_open: the meter's decision and charge for one code page, in one statement.
--
-- p_scopes/p_keys/p_periods name the viewer's meters, its own first (a guest's network meters
-- after it). Each meter's allowance is the views_per_period of the plan whose slug is
-- p_plans[i] when that is given (NULL there: unlimited; no such plan: nothing allowed), else the
-- fixed p_limits[i] (NULL: unlimited).
--
-- Returns whether the page is unlocked, the views left (the smallest over the meters; NULL when
-- every meter is unlimited), whether this call recorded the view, and the plans' version.
--
-- Reading is lock-free. Charging locks the viewer's meters in (scope, key) order, so requests
-- that share a network meter never deadlock, then re-checks every allowance under the locks.
CREATE OR REPLACE FUNCTION metering_open(
    p_code bigint,
    p_scopes text[],
    p_keys text[],
    p_periods date[],
    p_plans text[],
    p_limits integer[],
    p_charge boolean,
    p_now timestamptz
) RETURNS TABLE (unlocked boolean, remaining integer, newly_viewed boolean, plans_version bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n integer := cardinality(p_scopes);
    v_ids bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    v_used integer[] := array_fill(0, ARRAY[n]);
    v_allowances integer[] := array_fill(NULL::integer, ARRAY[n]);
    v_seen boolean[] := array_fill(false, ARRAY[n]);
    v_version bigint := (SELECT v.value FROM metering_plans_version v);
    v_left integer;
    v_id bigint;
    v_count integer;
    i integer;
    meter record;
BEGIN
    FOR i IN 1..n LOOP
        IF p_plans[i] IS NOT NULL THEN
            SELECT p.views_per_period INTO meter FROM metering_plan p WHERE p.slug = p_plans[i];
            v_allowances[i] := CASE WHEN FOUND THEN meter.views_per_period ELSE 0 END;
        ELSE
            v_allowances[i] := p_limits[i];
        END IF;
        SELECT m.id, m.used INTO meter FROM metering_meter m
            WHERE m.scope = p_scopes[i] AND m.key = p_keys[i] AND m.period_start = p_periods[i];
        IF FOUND THEN
            v_ids[i] := meter.id;
            v_used[i] := meter.used;
            v_seen[i] := EXISTS (
                SELECT 1 FROM metering_meterview w WHERE w.meter_id = meter.id AND w.code_id = p_code
            );
        END IF;
    END LOOP;
    v_left := metering_views_left(v_used, v_allowances);

    IF v_seen[1] THEN  -- opened before in this period: free
        RETURN QUERY SELECT true, v_left, false, v_version;
        RETURN;
    END IF;
    IF NOT p_charge OR v_left = 0 THEN
        RETURN QUERY SELECT false, v_left, false, v_version;
        RETURN;
    END IF;

    -- Charge: create or lock each meter, in a fixed order.
    FOR meter IN
        SELECT t.i FROM unnest(p_scopes, p_keys) WITH ORDINALITY AS t(scope, key, i)
        ORDER BY t.scope, t.key
    LOOP
        i := meter.i;
        INSERT INTO metering_meter AS m (scope, key, period_start, used, allowance, touched_at)
            VALUES (p_scopes[i], p_keys[i], p_periods[i], 0, v_allowances[i], p_now)
            ON CONFLICT (scope, key, period_start) DO UPDATE SET touched_at = EXCLUDED.touched_at
            RETURNING m.id, m.used INTO v_id, v_count;
        v_ids[i] := v_id;
        v_used[i] := v_count;
        -- Under the lock, and in a new snapshot: a view committed while we waited is seen.
        v_seen[i] := EXISTS (
            SELECT 1 FROM metering_meterview w WHERE w.meter_id = v_id AND w.code_id = p_code
        );
    END LOOP;
    IF v_seen[1] THEN  -- a parallel request of this viewer recorded it first
        RETURN QUERY SELECT true, metering_views_left(v_used, v_allowances), false, v_version;
        RETURN;
    END IF;
    FOR i IN 1..n LOOP
        IF NOT v_seen[i] AND v_allowances[i] IS NOT NULL AND v_used[i] >= v_allowances[i] THEN
            RETURN QUERY SELECT false, 0, false, v_version;
            RETURN;
        END IF;
    END LOOP;
    FOR i IN 1..n LOOP
        -- A network meter that a colleague's browser already used for this code today is not
        -- charged again.
        IF NOT v_seen[i] THEN
            INSERT INTO metering_meterview (meter_id, code_id, viewed_at)
                VALUES (v_ids[i], p_code, p_now);
            UPDATE metering_meter m SET used = m.used + 1, allowance = v_allowances[i]
                WHERE m.id = v_ids[i];
            v_used[i] := v_used[i] + 1;
        END IF;
    END LOOP;
    RETURN QUERY SELECT true, metering_views_left(v_used, v_allowances), true, v_version;
END
$$;

-- The views left on a set of meters: the smallest allowance - used over the limited ones, never
-- below 0; NULL when every meter is unlimited.
CREATE OR REPLACE FUNCTION metering_views_left(used integer[], allowances integer[])
RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN count(*) = 0 THEN NULL ELSE greatest(0, min(a - u)) END
    FROM unnest(used, allowances) AS t(u, a) WHERE a IS NOT NULL
$$;
