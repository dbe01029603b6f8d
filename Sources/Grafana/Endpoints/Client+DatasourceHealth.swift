import Foundation

extension Grafana {
    /// The answer of `GET /api/datasources/uid/:uid/health`.
    public struct DatasourceHealth: Sendable, Decodable, Equatable {
        /// "OK" or "ERROR".
        public var status: String
        public var message: String
        public var isOK: Bool { status.uppercased() == "OK" }
    }
}

extension Grafana.Client {
    /// Maps to `GET /api/datasources/uid/:uid/health`: Grafana asks the datasource itself.
    /// Grafana answers 400 with the same body when the check fails, so that answer is returned too.
    public func datasourceHealth(uid: String) async throws(Grafana.ClientError) -> Grafana.DatasourceHealth {
        let path = "/api/datasources/uid/\(Self.escape(uid))/health"
        do {
            return try await get(path)
        } catch {
            if case .http(_, _, 400, let message, let status) = error {
                return Grafana.DatasourceHealth(status: status ?? "ERROR", message: message)
            }
            throw error
        }
    }

    /// True when Grafana accepts `user`/`password` over basic auth (`GET /api/user`).
    /// Used to warn while the guide's default admin/admin still works; the password is never logged.
    public func accepts(user: String, password: String) async throws(Grafana.ClientError) -> Bool {
        let authorization = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        do {
            try await send(.get, "/api/user", headers: [("Authorization", authorization)], authenticated: false)
            return true
        } catch {
            if let status = error.status, status == 401 || status == 403 { return false }
            throw error
        }
    }
}
