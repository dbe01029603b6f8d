import Foundation
import HTTPTransport

extension DockerEngine.Client {
    /// Maps to `GET /configs`. Filters: `id`, `label`, `name`, `names`.
    public func listConfigs(filters: DockerEngine.Filters = .init()) async throws(DockerEngine.Error) -> [DockerEngine.SwarmConfig] {
        try await get("/configs", query: [("filters", filters.queryValue)])
    }

    /// Maps to `GET /configs/{id}` (an ID or name), with its data.
    public func inspectConfig(_ id: String) async throws(DockerEngine.Error) -> DockerEngine.SwarmConfig {
        try await get("/configs/\(Self.escape(id))")
    }

    /// Maps to `POST /configs/create`. A name in use answers 409 (`isConflict`).
    public func createConfig(_ spec: DockerEngine.ConfigSpec) async throws(DockerEngine.Error) -> DockerEngine.SwarmCreateResponse {
        try await post("/configs/create", json: spec)
    }

    /// Maps to `DELETE /configs/{id}`. A config in use by a service cannot go (`.http`).
    public func removeConfig(_ id: String) async throws(DockerEngine.Error) {
        try await delete("/configs/\(Self.escape(id))")
    }
}
