import JSONDocument

/// A refusal by the stand-in's domain state, carrying what Grafana 11 answers for it: the HTTP
/// status, the message, and where Grafana has them the `messageId` (`password-auth.failed`,
/// `alerting.provenanceMismatch`) and the status word (`version-mismatch`, `name-exists`,
/// `not-found`). The domain (`GrafanaStore`) throws these; only the HTTP layer (`Answer`) turns
/// them into bodies, so the store knows nothing of HTTP beyond the numbers Grafana uses.
struct GrafanaAPIError: Error, Sendable, Equatable {
    /// How Grafana shapes the body of this refusal.
    enum Shape: Sendable, Equatable {
        /// `{"message": ...}` (with `messageId` and `statusCode` when Grafana sends them).
        case message
        /// `{"status": word, "message": ...}` (dashboards and folders, pkg/services/dashboards/errors.go).
        case statusWord(String)
        /// 401 from the authn layer: `{"extra":null,"message","messageId","statusCode":401,"traceID":""}`.
        case unauthorized
        /// 403 from the RBAC layer: `{"accessErrorId","message","title":"Access denied"}` (pkg/api/accesscontrol.go).
        case accessDenied
        /// No body (the alerting provisioning API's 404 for a missing rule or group).
        case empty
    }

    var status: Int
    var message: String
    var messageId: String?
    var shape: Shape

    init(_ status: Int, _ message: String, messageId: String? = nil, shape: Shape = .message) {
        self.status = status
        self.message = message
        self.messageId = messageId
        self.shape = shape
    }

    static func message(_ status: Int, _ message: String) -> GrafanaAPIError { GrafanaAPIError(status, message) }

    static func status(_ status: Int, _ word: String, _ message: String) -> GrafanaAPIError {
        GrafanaAPIError(status, message, shape: .statusWord(word))
    }

    static func empty(_ status: Int) -> GrafanaAPIError { GrafanaAPIError(status, "", shape: .empty) }

    static func unauthorized(_ message: String, id: String) -> GrafanaAPIError {
        GrafanaAPIError(401, message, messageId: id, shape: .unauthorized)
    }

    static func accessDenied(_ permission: String) -> GrafanaAPIError {
        GrafanaAPIError(403, "You'll need additional permissions to perform this action. Permissions needed: \(permission)", shape: .accessDenied)
    }

    /// Grafana's answer to a body it cannot decode.
    static let badRequestData = GrafanaAPIError(400, "bad request data")

    /// The body Grafana sends with this refusal.
    var body: JSONValue? {
        switch shape {
        case .empty: return nil
        case .message:
            var object: [String: JSONValue] = ["message": .string(message)]
            if let messageId {
                object["messageId"] = .string(messageId)
                object["statusCode"] = .int(status)
            }
            return .object(object)
        case .statusWord(let word): return .object(["status": .string(word), "message": .string(message)])
        case .unauthorized:
            return .object([
                "extra": .null, "message": .string(message), "messageId": .string(messageId ?? "auth.unauthorized"),
                "statusCode": .int(status), "traceID": .string(""),
            ])
        case .accessDenied:
            return .object(["accessErrorId": .string("ACE0000000000"), "message": .string(message), "title": .string("Access denied")])
        }
    }
}
