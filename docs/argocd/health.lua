-- Argo CD health check for ramp.dev/Rollout.
--
-- Argo CD calls this script with the live object in `obj` and reads the
-- returned table: status is one of Healthy, Progressing, Suspended or
-- Degraded, and message is shown next to it. The Ramp controller already
-- sums a rollout up in status.phase and status.message; this script maps
-- that summary onto Argo CD's health states.

local hs = {}

local function condition(status, type)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local status = obj.status
local generation = (obj.metadata and obj.metadata.generation) or 0
local observed = (status and status.observedGeneration) or 0

-- A status computed from an older spec says nothing about the current one.
if status == nil or observed < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to observe the new spec"
  return hs
end

local message = status.message or ""
local stalled = condition(status, "Stalled")

if (stalled ~= nil and stalled.status == "True") or status.phase == "Degraded" then
  hs.status = "Degraded"
  if message == "" and stalled ~= nil and stalled.message ~= nil then
    message = stalled.message
  end
  hs.message = message
  return hs
end

if status.phase == "Paused" then
  hs.status = "Suspended"
  hs.message = message
  return hs
end

if status.phase == "Healthy" then
  hs.status = "Healthy"
  hs.message = message
  return hs
end

hs.status = "Progressing"
hs.message = message
return hs
