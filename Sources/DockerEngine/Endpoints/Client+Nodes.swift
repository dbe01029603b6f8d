import Foundation
import HTTPTransport

extension DockerEngine.Client {
    /// Maps to `GET /nodes`. Filters: `id`, `label`, `membership` (`accepted`, `pending`), `name`,
    /// `node.label`, `role` (`manager`, `worker`).
    public func listNodes(filters: DockerEngine.Filters = .init()) async throws(DockerEngine.Error) -> [DockerEngine.Node] {
        try await get("/nodes", query: [("filters", filters.queryValue)])
    }

    /// Maps to `GET /nodes/{id}` (an ID, ID prefix or hostname).
    public func inspectNode(_ id: String) async throws(DockerEngine.Error) -> DockerEngine.Node {
        try await get("/nodes/\(Self.escape(id))")
    }

    /// Maps to `POST /nodes/{id}/update?version=…`: replaces the node's spec. `version` is the
    /// `Version.Index` last read; a stale one is refused with `.http(409, …)`.
    public func updateNode(_ id: String, version: UInt64, spec: DockerEngine.NodeSpec) async throws(DockerEngine.Error) {
        do {
            try await post("/nodes/\(Self.escape(id))/update", query: [("version", String(version))], json: spec)
        } catch {
            throw await staleVersion(error, sent: version, what: "node \(id)") { () async throws(DockerEngine.Error) in try await inspectNode(id).version }
        }
    }

    /// Maps to `DELETE /nodes/{id}?force=…`. Without `force` only a node that is down can go.
    public func removeNode(_ id: String, force: Bool = false) async throws(DockerEngine.Error) {
        try await delete("/nodes/\(Self.escape(id))", query: [("force", force ? "1" : nil)])
    }
}
