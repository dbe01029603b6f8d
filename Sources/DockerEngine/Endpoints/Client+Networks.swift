import Foundation
import HTTPTransport

extension DockerEngine.Client {
    /// Maps to `GET /networks`.
    public func listNetworks(filters: DockerEngine.Filters = .init()) async throws(DockerEngine.Error) -> [DockerEngine.Network] {
        try await get("/networks", query: [("filters", filters.queryValue)])
    }

    /// Maps to `GET /networks/{id}`.
    public func inspectNetwork(_ id: String) async throws(DockerEngine.Error) -> DockerEngine.Network {
        try await get("/networks/\(Self.escape(id))")
    }

    /// Maps to `POST /networks/create`.
    public func createNetwork(_ request: DockerEngine.NetworkCreateRequest) async throws(DockerEngine.Error) -> DockerEngine.NetworkCreateResponse {
        try await post("/networks/create", json: request)
    }

    /// Maps to `DELETE /networks/{id}`.
    public func removeNetwork(_ id: String) async throws(DockerEngine.Error) {
        try await delete("/networks/\(Self.escape(id))")
    }

    /// Maps to `POST /networks/{id}/connect`.
    public func connectNetwork(_ network: String, container: String, endpoint settings: DockerEngine.EndpointSettings? = nil) async throws(DockerEngine.Error) {
        struct Body: Encodable {
            var container: String
            var endpointConfig: DockerEngine.EndpointSettings?
            enum CodingKeys: String, CodingKey { case container = "Container", endpointConfig = "EndpointConfig" }
        }
        try await post("/networks/\(Self.escape(network))/connect", json: Body(container: container, endpointConfig: settings))
    }

    /// Maps to `POST /networks/{id}/disconnect`.
    public func disconnectNetwork(_ network: String, container: String, force: Bool = false) async throws(DockerEngine.Error) {
        struct Body: Encodable {
            var container: String
            var force: Bool
            enum CodingKeys: String, CodingKey { case container = "Container", force = "Force" }
        }
        try await post("/networks/\(Self.escape(network))/disconnect", json: Body(container: container, force: force))
    }
}
