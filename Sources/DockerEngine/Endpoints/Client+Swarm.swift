import Foundation
import HTTPTransport

extension DockerEngine.Client {
    /// Maps to `GET /swarm`: the swarm and its join tokens. Only a manager answers; an engine in no
    /// swarm answers 503 (`.http(503, …)`), a worker 503 as well.
    public func inspectSwarm() async throws(DockerEngine.Error) -> DockerEngine.SwarmInspect {
        try await get("/swarm")
    }

    /// Maps to `POST /swarm/init`: makes this engine the first manager of a new swarm; returns its node ID.
    @discardableResult
    public func initSwarm(_ request: DockerEngine.SwarmInitRequest) async throws(DockerEngine.Error) -> String {
        try await post("/swarm/init", json: request, as: String.self, timeout: .seconds(60))
    }

    /// Maps to `POST /swarm/join`: joins the swarm of `request.remoteAddrs` as a worker or a manager,
    /// as the token says.
    public func joinSwarm(_ request: DockerEngine.SwarmJoinRequest) async throws(DockerEngine.Error) {
        try await post("/swarm/join", json: request, timeout: .seconds(60))
    }

    /// Maps to `POST /swarm/leave?force=…`. A manager leaves only with `force` (which may break quorum).
    public func leaveSwarm(force: Bool = false) async throws(DockerEngine.Error) {
        try await post("/swarm/leave", query: [("force", force ? "1" : nil)], timeout: .seconds(60))
    }
}
