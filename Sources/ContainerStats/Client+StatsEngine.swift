import DockerEngine
import HTTPTransport

extension DockerEngine.Client: StatsEngine {
    /// `GET /containers/json?filters={"status":["running"],"label":[…]}`.
    public func runningContainers(labels: [String]) async throws -> [StatsTarget] {
        var filters = DockerEngine.Filters().status("running")
        for label in labels { filters = filters.label(label) }
        let summaries = try await listContainers(all: false, filters: filters)
        return summaries.map { summary in
            StatsTarget(id: summary.id, name: summary.names.first ?? summary.id, image: summary.image ?? "", labels: summary.labels ?? [:])
        }
    }

    public func oneShotStats(id: String) async throws -> ContainerStatsResponse {
        try await stats(id, oneShot: true)
    }

    /// True when the engine is on this machine (a unix socket), the precondition for `--source cgroup`.
    public var isLocal: Bool {
        if case .unixSocket = endpoint.address { return true }
        return false
    }
}
