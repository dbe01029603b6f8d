import Foundation
import HTTPTransport

extension DockerEngine.Client {
    /// Maps to `GET /secrets`. Filters: `id`, `label`, `name`, `names`. The data never comes back.
    public func listSecrets(filters: DockerEngine.Filters = .init()) async throws(DockerEngine.Error) -> [DockerEngine.SwarmSecret] {
        try await get("/secrets", query: [("filters", filters.queryValue)])
    }

    /// Maps to `GET /secrets/{id}` (an ID or name), without the data.
    public func inspectSecret(_ id: String) async throws(DockerEngine.Error) -> DockerEngine.SwarmSecret {
        try await get("/secrets/\(Self.escape(id))")
    }

    /// Maps to `POST /secrets/create`. A name in use answers 409 (`isConflict`).
    public func createSecret(_ spec: DockerEngine.SecretSpec) async throws(DockerEngine.Error) -> DockerEngine.SwarmCreateResponse {
        try await post("/secrets/create", json: spec)
    }

    /// Maps to `DELETE /secrets/{id}`. A secret in use by a service cannot go (`.http`).
    public func removeSecret(_ id: String) async throws(DockerEngine.Error) {
        try await delete("/secrets/\(Self.escape(id))")
    }
}
