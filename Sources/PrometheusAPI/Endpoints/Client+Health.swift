import HTTPTransport

extension PrometheusAPI.Client {
    /// Whether Prometheus is ready to serve traffic (false while it replays its WAL).
    /// Maps to `GET /-/ready`: 200 is true, 503 is false, anything else throws `.http`.
    public func ready() async throws(PrometheusAPI.Error) -> Bool {
        try await probe("/-/ready")
    }

    /// Whether Prometheus is alive. Maps to `GET /-/healthy`: 200 is true, 503 false, others throw `.http`.
    public func healthy() async throws(PrometheusAPI.Error) -> Bool {
        try await probe("/-/healthy")
    }

    private func probe(_ path: String) async throws(PrometheusAPI.Error) -> Bool {
        let response = try await send(.get, path)
        switch response.status {
        case 200..<300: return true
        case 503: return false
        default:
            let text = String(decoding: response.body.prefix(300), as: UTF8.self)
            throw .http(status: response.status, errorType: nil, message: text, path: path)
        }
    }

    /// Version and build of the server. Maps to `GET /api/v1/status/buildinfo`.
    public func buildInfo() async throws(PrometheusAPI.Error) -> PrometheusAPI.BuildInfo {
        try await get("/api/v1/status/buildinfo", as: PrometheusAPI.BuildInfo.self)
    }
}

extension PrometheusAPI {
    public struct BuildInfo: Sendable, Decodable, Hashable {
        public var version: String
        public var revision: String?
        public var branch: String?
        public var goVersion: String?
    }
}
