-- serve-load.lua drives `rankloop serve` with the Personalizer tutorial's
-- coffee problem from wrk (4.x, LuaJIT). Each rank sends context features
-- {name, weather, timeofday} drawn uniformly from the values in
-- preferences.json, the coffees of coffees.csv as actions and a fresh
-- event id. Its reward goes to that event id once the rank has returned,
-- with value 1 when rewardActionId is the customer's preferred coffee and
-- 0 otherwise, so the loop learns as in the tutorial.
--
-- Usage:
--   wrk -t2 -c32 -d10s -s bench/serve-load.lua http://127.0.0.1:PORT \
--       -- experiments/data/coffees.csv experiments/data/preferences.json
--
-- wrk generates requests per thread, not per connection, so each thread
-- keeps a queue of rewards whose rank has returned, and a connection that
-- is ready sends the oldest queued reward before starting a new rank.
-- Every reward thus follows its own rank, and ranks and rewards alternate
-- over the run.
--
-- done() prints one "key value" line per figure (requests, pairs_per_s,
-- latency_p50_us, latency_p99_us, errors, ...), which bench/serve-load.sh
-- reads. Latency is per request, ranks and rewards together, as wrk
-- measures it. errors counts every socket error, every timeout and every
-- response whose status is neither 201 (rank) nor 204 (reward). Such a
-- response counts as a rank or a reward error by the error code or
-- message in its body.

local rank_path = "/personalizer/v1.0/rank"
local reward_prefix = "/personalizer/v1.0/events/" -- then the event id
local reward_suffix = "/reward"

-- threads lists every thread made in setup(), so done() can read their
-- counters.
local threads = {}

-- json_string quotes s as a JSON string.
local function json_string(s)
  s = s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", c:byte())
  end)
  return '"' .. s .. '"'
end

-- read_file returns the whole content of path, or raises an error.
local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then
    error("serve-load.lua: open " .. tostring(path) .. ": " .. tostring(err))
  end
  local data = f:read("*a")
  f:close()
  return data
end

-- parse_json_object parses a JSON document made of objects and strings
-- without escapes, the shape of preferences.json, into nested tables.
local function parse_json_object(text, path)
  local pos = 1

  local function fail(what)
    error(string.format("serve-load.lua: %s: byte %d: %s", path, pos, what))
  end

  local function skip_space()
    pos = text:find("[^ \t\r\n]", pos) or #text + 1
  end

  local function string_value()
    local value, next_pos = text:match('^"([^"\\]*)"()', pos)
    if not value then fail("want a string without escapes") end
    pos = next_pos
    return value
  end

  local function value()
    skip_space()
    local c = text:sub(pos, pos)
    if c == '"' then return string_value() end
    if c ~= "{" then fail("want an object or a string") end
    pos = pos + 1
    local object = {}
    skip_space()
    if text:sub(pos, pos) == "}" then
      pos = pos + 1
      return object
    end
    while true do
      skip_space()
      local key = string_value()
      skip_space()
      if text:sub(pos, pos) ~= ":" then fail("want ':'") end
      pos = pos + 1
      object[key] = value()
      skip_space()
      c = text:sub(pos, pos)
      pos = pos + 1
      if c == "}" then return object end
      if c ~= "," then fail("want ',' or '}'") end
    end
  end

  local result = value()
  skip_space()
  if pos <= #text then fail("trailing data") end
  return result
end

-- actions_json returns the coffees of a CSV file with a header row and no
-- quoted fields as the JSON array of rank actions: the id column is the
-- action id and every other column is a feature.
local function actions_json(path)
  local header
  local actions = {}
  for line in read_file(path):gmatch("[^\r\n]+") do
    local cells = {}
    for cell in (line .. ","):gmatch("([^,]*),") do
      cells[#cells + 1] = cell
    end
    if not header then
      header = cells
    else
      local id
      local features = {}
      for i, name in ipairs(header) do
        if name == "id" then
          id = cells[i]
        else
          features[#features + 1] = json_string(name) .. ":" .. json_string(cells[i] or "")
        end
      end
      if not id then error("serve-load.lua: " .. path .. ": no id column") end
      actions[#actions + 1] = '{"id":' .. json_string(id) .. ',"features":[{' ..
        table.concat(features, ",") .. "}]}"
    end
  end
  if #actions == 0 then error("serve-load.lua: " .. path .. ": no actions") end
  return "[" .. table.concat(actions, ",") .. "]"
end

-- sorted_keys returns the keys of t in order, so every thread draws from
-- the same list.
local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

function setup(thread)
  thread:set("thread_index", #threads + 1)
  -- A per-run prefix keeps event ids unique across runs against one
  -- server.
  thread:set("run_prefix", string.format("%08x", os.time() % 0x100000000))
  threads[#threads + 1] = thread
end

-- Per-thread state, set in init().
local contexts         -- {rank request up to the event id, preferred coffee}
local reward_head      -- reward request up to the event id
local reward_tails     -- [value] = reward request after the event id
local id_prefix        -- event ids: id_prefix .. 10-digit counter
local event_count = 0
local expected = {}    -- event id -> preferred coffee, for ranks in flight
local queue = {}       -- reward requests ready to send, oldest first
local queue_first, queue_last = 1, 0

-- Counters that done() reads with thread:get.
ranks_ok, rewards_ok = 0, 0
rewards_queued, rewards_one = 0, 0
errors_rank, errors_reward, errors_other = 0, 0, 0
bad_rank_bodies = 0
statuses = {}

-- Every event id has the same length, so each rank request is a fixed
-- text, its Content-Length included, followed by the event id and '"}'.
local id_digits = 10
local id_format = "%0" .. id_digits .. "d"

function init(args)
  local coffees_path = args[1] or "experiments/data/coffees.csv"
  local preferences_path = args[2] or "experiments/data/preferences.json"
  local actions = actions_json(coffees_path)
  local preferences = parse_json_object(read_file(preferences_path), preferences_path)
  local host = "Host: " .. wrk.headers["Host"] .. "\r\nContent-Type: application/json\r\n"

  id_prefix = string.format("%s-%03d-", run_prefix, thread_index)
  local id_length = #id_prefix + id_digits

  contexts = {}
  for _, name in ipairs(sorted_keys(preferences)) do
    for _, weather in ipairs(sorted_keys(preferences[name])) do
      for _, timeofday in ipairs(sorted_keys(preferences[name][weather])) do
        local body = '{"contextFeatures":[{"name":' .. json_string(name) ..
          ',"weather":' .. json_string(weather) ..
          ',"timeofday":' .. json_string(timeofday) ..
          '}],"actions":' .. actions .. ',"eventId":"'
        local length = #body + id_length + #'"}'
        local head = "POST " .. rank_path .. " HTTP/1.1\r\n" .. host ..
          "Content-Length: " .. length .. "\r\n\r\n" .. body
        contexts[#contexts + 1] = {head, preferences[name][weather][timeofday]}
      end
    end
  end

  reward_head = "POST " .. reward_prefix
  reward_tails = {}
  for _, value in ipairs({"0", "1"}) do
    local body = '{"value":' .. value .. "}"
    reward_tails[value] = reward_suffix .. " HTTP/1.1\r\n" .. host ..
      "Content-Length: " .. #body .. "\r\n\r\n" .. body
  end
  math.randomseed(os.time() * 1000 + thread_index)
end

function request()
  if queue_first <= queue_last then
    local req = queue[queue_first]
    queue[queue_first] = nil
    queue_first = queue_first + 1
    return req
  end

  event_count = event_count + 1
  local event_id = id_prefix .. string.format(id_format, event_count)
  local context = contexts[math.random(#contexts)]
  expected[event_id] = context[2]
  return context[1] .. event_id .. '"}'
end

-- error_kind attributes an error response to rank or reward by the error
-- code or message in its body.
local function error_kind(body)
  if body:find("Rank", 1, true) or body:find('"message":"rank', 1, true) then
    return "rank"
  end
  if body:find("Reward", 1, true) or body:find('"message":"reward', 1, true) then
    return "reward"
  end
  return "other"
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1

  if status == 204 then
    rewards_ok = rewards_ok + 1
    return
  end
  if status ~= 201 then
    local kind = error_kind(body)
    if kind == "rank" then
      errors_rank = errors_rank + 1
    elseif kind == "reward" then
      errors_reward = errors_reward + 1
    else
      errors_other = errors_other + 1
    end
    return
  end

  ranks_ok = ranks_ok + 1
  local event_id = body:match('"eventId":"([^"]*)"')
  local chosen = body:match('"rewardActionId":"([^"]*)"')
  local preferred = event_id and expected[event_id]
  if not preferred or not chosen then
    -- A 201 response without the event id sent or without the chosen
    -- action is wrong, so it counts as a rank error.
    bad_rank_bodies = bad_rank_bodies + 1
    errors_rank = errors_rank + 1
    return
  end
  expected[event_id] = nil

  local value = "0"
  if chosen == preferred then
    value = "1"
    rewards_one = rewards_one + 1
  end
  rewards_queued = rewards_queued + 1
  queue_last = queue_last + 1
  queue[queue_last] = reward_head .. event_id .. reward_tails[value]
end

function done(summary, latency, requests)
  local ranks, rewards, bad_bodies = 0, 0, 0
  local queued, ones = 0, 0
  local rank_errors, reward_errors, other_errors = 0, 0, 0
  local status_counts = {}
  for _, thread in ipairs(threads) do
    ranks = ranks + thread:get("ranks_ok")
    rewards = rewards + thread:get("rewards_ok")
    bad_bodies = bad_bodies + thread:get("bad_rank_bodies")
    queued = queued + thread:get("rewards_queued")
    ones = ones + thread:get("rewards_one")
    rank_errors = rank_errors + thread:get("errors_rank")
    reward_errors = reward_errors + thread:get("errors_reward")
    other_errors = other_errors + thread:get("errors_other")
    for status, n in pairs(thread:get("statuses")) do
      status_counts[status] = (status_counts[status] or 0) + n
    end
  end

  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  local rate = summary.requests / seconds

  print(string.format("duration_s %.3f", seconds))
  print(string.format("requests %d", summary.requests))
  print(string.format("ranks_ok %d", ranks))
  print(string.format("rewards_ok %d", rewards))
  -- The share of ranks that chose the preferred coffee: about 0.25 for an
  -- untrained loop, rising as the serving model learns.
  print(string.format("reward_mean %.3f", queued > 0 and ones / queued or 0))
  print(string.format("requests_per_s %.1f", rate))
  print(string.format("pairs_per_s %.1f", rate / 2))
  print(string.format("latency_p50_us %d", latency:percentile(50)))
  print(string.format("latency_p99_us %d", latency:percentile(99)))
  print(string.format("latency_max_us %d", latency.max))
  print(string.format("errors %d", rank_errors + reward_errors + other_errors + socket_errors))
  print(string.format("errors_rank %d", rank_errors))
  print(string.format("errors_reward %d", reward_errors))
  print(string.format("errors_other %d", other_errors))
  print(string.format("errors_rank_body %d", bad_bodies))
  print(string.format("errors_socket connect=%d read=%d write=%d timeout=%d",
    e.connect, e.read, e.write, e.timeout))
  for _, status in ipairs(sorted_keys(status_counts)) do
    print(string.format("status_%d %d", status, status_counts[status]))
  end
end
