import Foundation
import HTTPTransport

extension DockerEngine.Client {
    /// Maps to `GET /volumes`.
    public func listVolumes(filters: DockerEngine.Filters = .init()) async throws(DockerEngine.Error) -> [DockerEngine.Volume] {
        let response: DockerEngine.VolumeListResponse = try await get("/volumes", query: [("filters", filters.queryValue)])
        return response.volumes ?? []
    }

    /// Maps to `GET /volumes/{name}`.
    public func inspectVolume(_ name: String) async throws(DockerEngine.Error) -> DockerEngine.Volume {
        try await get("/volumes/\(Self.escape(name))")
    }

    /// Maps to `POST /volumes/create`. Creating an existing volume returns it unchanged.
    public func createVolume(_ request: DockerEngine.VolumeCreateRequest) async throws(DockerEngine.Error) -> DockerEngine.Volume {
        try await post("/volumes/create", json: request)
    }

    /// Maps to `DELETE /volumes/{name}`.
    public func removeVolume(_ name: String, force: Bool = false) async throws(DockerEngine.Error) {
        try await delete("/volumes/\(Self.escape(name))", query: [("force", force ? "1" : nil)])
    }
}
