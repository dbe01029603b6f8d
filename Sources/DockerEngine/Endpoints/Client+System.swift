import Foundation
import HTTPTransport

extension DockerEngine.Client {
    /// Maps to `GET /_ping` (unversioned): is the engine up, and the newest API it speaks.
    public func ping(timeout: Duration? = .seconds(10)) async throws(DockerEngine.Error) -> DockerEngine.PingResponse {
        let response = try await sendRaw(.get, "/_ping", timeout: timeout)
        return DockerEngine.PingResponse(
            apiVersion: response.header("API-Version").flatMap(DockerEngine.APIVersion.init),
            osType: response.header("OSType"),
            builderVersion: response.header("Builder-Version"),
            experimental: response.header("Docker-Experimental") == "true"
        )
    }

    /// Maps to `GET /version`.
    public func version() async throws(DockerEngine.Error) -> DockerEngine.VersionResponse {
        try await get("/version")
    }

    /// Maps to `GET /info`.
    public func info() async throws(DockerEngine.Error) -> DockerEngine.SystemInfo {
        try await get("/info")
    }

    /// Maps to `GET /events`: engine events as they happen, until the task is cancelled or
    /// `until` passes. Filters: `type`, `event`, `container`, `label`, …
    public func events(
        filters: DockerEngine.Filters = .init(), since: Date? = nil, until: Date? = nil
    ) async throws(DockerEngine.Error) -> DockerEngine.JSONStream<DockerEngine.Event> {
        let response = try await openStream(
            .get, "/events",
            query: [
                ("since", since.map(Self.unixTime)),
                ("until", until.map(Self.unixTime)),
                ("filters", filters.queryValue),
            ])
        return DockerEngine.JSONStream(body: response.body, endpoint: endpoint.description)
    }

    /// Seconds since 1970 with nanoseconds, as the engine's `since`/`until` parameters take them.
    static func unixTime(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        let seconds = interval.rounded(.down)
        let nanos = Int(((interval - seconds) * 1_000_000_000).rounded())
        return String(format: "%.0f.%09d", seconds, min(nanos, 999_999_999))
    }
}
