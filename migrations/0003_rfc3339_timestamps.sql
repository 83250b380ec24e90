-- RFC 3339 allows offsets up to ±23:59; PostgreSQL's timestamptz input stops at ±15:59. Runs carry
-- their timestamps as text, so the page write converts them here: a legal offset beyond PostgreSQL's
-- range is applied by arithmetic, everything else is PostgreSQL's own timestamptz input.
CREATE OR REPLACE FUNCTION bird.rfc3339(t text) RETURNS timestamptz
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE
    WHEN t ~ '[+-][0-9][0-9]:[0-9][0-9]$' AND substr(t, length(t) - 4, 2)::int > 15
      THEN (left(t, length(t) - 6) || 'Z')::timestamptz
        - (substr(t, length(t) - 5, 1) || '1')::int
          * make_interval(hours => substr(t, length(t) - 4, 2)::int, mins => substr(t, length(t) - 1, 2)::int)
    ELSE t::timestamptz
  END
$$;
