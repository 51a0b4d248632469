-- Argo CD health check for leaderworkerset.x-k8s.io/LeaderWorkerSet (Argo CD ships none).
-- The LWS controller keeps Available and Progressing mutually exclusive and sets UpdateInProgress
-- during a rolling update (kubernetes-sigs/lws pkg/controllers/leaderworkerset_controller.go).
-- LWS reports no failure condition, so this check never says Degraded: a group that cannot start
-- stays Progressing, which keeps a sync with wait/health gates from passing.
hs = {}
local function groups(status, spec)
  local wanted = 1
  if spec ~= nil and spec.replicas ~= nil then wanted = spec.replicas end
  return " (" .. tostring(status.readyReplicas or 0) .. "/" .. tostring(wanted) .. " groups ready)"
end
if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the LeaderWorkerSet controller to report status"
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= nil and obj.status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to observe generation " .. tostring(generation)
  return hs
end
local current = {}
for _, condition in ipairs(obj.status.conditions) do
  local fresh = generation == nil or condition.observedGeneration == nil or condition.observedGeneration >= generation
  if condition.status == "True" and fresh then
    current[condition.type] = condition
  end
end
local suffix = groups(obj.status, obj.spec)
if current["UpdateInProgress"] ~= nil then
  hs.status = "Progressing"
  hs.message = (current["UpdateInProgress"].message or "Rolling update in progress") .. suffix
elseif current["Available"] ~= nil then
  hs.status = "Healthy"
  hs.message = (current["Available"].message or "All replicas are ready") .. suffix
elseif current["Progressing"] ~= nil then
  hs.status = "Progressing"
  hs.message = (current["Progressing"].message or "Replicas are progressing") .. suffix
else
  hs.status = "Progressing"
  hs.message = "No current Available or Progressing condition" .. suffix
end
return hs
