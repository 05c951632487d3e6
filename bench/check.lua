-- wrk script: counts responses that are not 2xx (wrk's own "Non-2xx or 3xx" line does not count
-- redirects) and 2xx pages that lack, or show, a marker string, summed over all threads.
--   wrk ... -s bench/check.lua URL -- MUST_CONTAIN MUST_NOT_CONTAIN     ("-" for none)
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  must = args[1] ~= "-" and args[1] or nil
  must_not = args[2] ~= "-" and args[2] or nil
  non2xx, wrong, statuses = 0, 0, ""
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if not string.find(statuses, " " .. status .. " ", 1, true) then
      statuses = statuses .. " " .. status .. " "
    end
  elseif (must and not string.find(body, must, 1, true))
      or (must_not and string.find(body, must_not, 1, true)) then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local bad, off, seen = 0, 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    off = off + thread:get("wrong")
    seen = seen .. thread:get("statuses")
  end
  io.write(string.format("BENCH non2xx=%d wrong=%d statuses=%s\n", bad, off,
                         (seen:gsub("%s+", ",")):gsub("^,", ""):gsub(",$", "")))
end
