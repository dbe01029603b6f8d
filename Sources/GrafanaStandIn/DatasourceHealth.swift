import Foundation
import HTTPTransport
import Logging

/// Checks a datasource the way Grafana's "Save & test" does, over real HTTP (CurlTransport).
/// Only Prometheus is modelled: an instant query of `1+1` against `<url>/api/v1/query`.
struct DatasourceProber: Sendable {
    let logger: Logger

    func check(_ datasource: Datasource) async -> Answer {
        guard datasource.type == "prometheus" else {
            return .message(501, "Plugin health check not implemented for datasource type \(datasource.type) (grafana-standin models prometheus only)")
        }
        func failure(_ detail: String) -> Answer {
            .json(
                400,
                .object([
                    "status": .string("ERROR"),
                    "message": .string("There was an error returned querying the Prometheus API."),
                    "details": .object(["message": .string(detail)]),
                ]))
        }
        let url = datasource.url.trimmingCharacters(in: .whitespaces)
        guard url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://") else {
            return failure("invalid datasource url '\(redacted(url))'")
        }
        do {
            let transport = try CurlTransport(
                endpoint: HTTPEndpoint(address: .url(url)),
                options: .init(connectTimeout: .seconds(5), timeout: .seconds(15), userAgent: "grafana-standin/\(StandInConfiguration.version)"),
                logger: logger)
            var headers: [(name: String, value: String)] = [(name: "Accept", value: "application/json")]
            if datasource.basicAuth {
                let password = datasource.secureJsonData["basicAuthPassword"] ?? ""
                let credentials = Data("\(datasource.basicAuthUser):\(password)".utf8).base64EncodedString()
                headers.append((name: "Authorization", value: "Basic \(credentials)"))
            }
            let time = Int(Date().timeIntervalSince1970)
            let response = try await transport.send(HTTPRequest(method: .get, path: "/api/v1/query?query=1%2B1&time=\(time)", headers: headers))
            guard response.isSuccess else {
                return failure("\(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
            }
            guard let answer = decodeJSON(response.body), answer["status"]?.stringValue == "success" else {
                return failure("the answer is not a Prometheus query result")
            }
            return .json(200, .object(["status": .string("OK"), "message": .string("Successfully queried the Prometheus API.")]))
        } catch {
            // CurlError's text names the endpoint as given, credentials included: take them out.
            let detail = String(describing: error).replacingOccurrences(of: url, with: redacted(url))
            return failure("Get \"\(redacted(url))/api/v1/query\": \(detail)")
        }
    }
}

/// A URL without the `user:password@` part, for messages (no secret is ever answered or logged).
func redacted(_ url: String) -> String {
    guard let schemeEnd = url.range(of: "://"),
        let at = url[schemeEnd.upperBound...].firstIndex(of: "@"),
        !url[schemeEnd.upperBound..<at].contains("/")
    else { return url }
    return String(url[..<schemeEnd.upperBound]) + "***@" + String(url[url.index(after: at)...])
}
