import Foundation
import HTTPTransport

extension DockerEngine.Client {
    /// Maps to `GET /services?status=true`: with each service's running and desired task counts
    /// (`serviceStatus`). Filters: `id`, `label`, `mode` (`replicated`, `global`), `name`.
    public func listServices(filters: DockerEngine.Filters = .init(), status: Bool = true) async throws(DockerEngine.Error) -> [DockerEngine.Service] {
        try await get("/services", query: [("filters", filters.queryValue), ("status", status ? "true" : nil)])
    }

    /// Maps to `GET /services/{id}` (an ID, ID prefix or name).
    public func inspectService(_ id: String) async throws(DockerEngine.Error) -> DockerEngine.Service {
        try await get("/services/\(Self.escape(id))")
    }

    /// Maps to `POST /services/create`. `registryAuth` is the base64url JSON of `X-Registry-Auth`
    /// (sent as a header only, never logged), so that the nodes can pull a private image.
    public func createService(
        _ spec: DockerEngine.ServiceSpec, registryAuth: String? = nil
    ) async throws(DockerEngine.Error) -> DockerEngine.SwarmCreateResponse {
        let response = try await send(
            .post, "/services/create", body: try Self.encodeBody(spec), contentType: "application/json", headers: Self.registryAuthHeader(registryAuth))
        return try Self.decode(DockerEngine.SwarmCreateResponse.self, from: response.body, what: "POST /services/create")
    }

    /// Maps to `POST /services/{id}/update?version=…`: replaces the whole spec (fields left out are
    /// reset, so start from the inspected spec). `version` is the `Version.Index` last read; a stale
    /// one is refused with `.http(409, …)` (see `staleVersion`). `rollback` asks the engine to return to the
    /// previous spec instead (`rollback=previous`; `spec` should then be the current one).
    @discardableResult
    public func updateService(
        _ id: String, version: UInt64, spec: DockerEngine.ServiceSpec, rollback: Bool = false, registryAuth: String? = nil
    ) async throws(DockerEngine.Error) -> DockerEngine.ServiceUpdateResponse {
        let path = "/services/\(Self.escape(id))/update"
        let response: HTTPResponse
        do {
            response = try await send(
                .post, path, query: [("version", String(version)), ("rollback", rollback ? "previous" : nil)],
                body: try Self.encodeBody(spec), contentType: "application/json", headers: Self.registryAuthHeader(registryAuth))
        } catch {
            throw await staleVersion(error, sent: version, what: "service \(id)") { () async throws(DockerEngine.Error) in try await inspectService(id).version
            }
        }
        return try Self.decode(DockerEngine.ServiceUpdateResponse.self, from: response.body, what: "POST \(path)")
    }

    /// Maps to `DELETE /services/{id}`. Its tasks stop on every node shortly after.
    public func removeService(_ id: String) async throws(DockerEngine.Error) {
        try await delete("/services/\(Self.escape(id))")
    }

    /// Maps to `GET /services/{id}/logs`: the logs of every task of the service, as `LogFrame`s
    /// (demultiplexed, or raw when the service has a TTY). `options.until` is not supported by the
    /// engine for services and is ignored. With `follow` the stream lasts until the task is cancelled.
    public func serviceLogs(_ id: String, options: DockerEngine.LogsOptions = .init()) async throws(DockerEngine.Error) -> DockerEngine.LogStream {
        try await openLogStream("/services/\(Self.escape(id))/logs", options: options, until: false) { () async throws(DockerEngine.Error) in
            (try await inspectService(id)).spec?.taskTemplate?.containerSpec?.tty ?? false
        }
    }

    /// A write refused because `sent` is no longer the object's version: Engine 20.10 answers 500
    /// (`update out of sequence`), newer engines 409 or 400. Confirmed by reading the version again
    /// (never by the message's text) and reported as `.http(409, …)` saying what to do; any other
    /// error comes back unchanged.
    func staleVersion(
        _ error: DockerEngine.Error, sent: UInt64, what: String,
        current: () async throws(DockerEngine.Error) -> DockerEngine.ObjectVersion?
    ) async -> DockerEngine.Error {
        guard case .http(let status, let message) = error, [400, 409, 500].contains(status),
            let now = try? await current()?.index, now != sent
        else { return error }
        return .http(status: 409, message: "\(what) is at version \(now), not \(sent): it changed since it was read; read it again and retry (\(message))")
    }
}
