import Foundation
import HTTPTransport
import Testing

@testable import GrafanaStandIn

@Suite("grafana-standin authentication")
struct AuthTests {
    @Test("/api/health needs no credentials and says it is the stand-in, not Grafana")
    func health() async throws {
        try await Fixture.withStandIn { client async throws in
            let reply = try await client.with(authorization: nil).get("/api/health")
            #expect(reply.status == 200)
            #expect(reply.object["database"] as? String == "ok")
            #expect(reply.object["version"] as? String == "11.1.0-standin")
            #expect((reply.object["implementation"] as? String)?.contains("not Grafana") == true)
            let head = try await client.with(authorization: nil).request(.head, "/api/health")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
        }
    }

    struct Denied: Sendable, CustomStringConvertible {
        var authorization: String?
        var messageId: String
        var message: String
        var description: String { messageId + " for " + (authorization ?? "no header") }
    }

    @Test(
        "requests without valid credentials get Grafana's 401 body",
        arguments: [
            Denied(authorization: nil, messageId: "auth.unauthorized", message: "Unauthorized"),
            Denied(authorization: StandInClient.basic("admin", "wrong"), messageId: "password-auth.failed", message: "Invalid username or password"),
            Denied(authorization: StandInClient.basic("nobody", "admin"), messageId: "password-auth.failed", message: "Invalid username or password"),
            Denied(authorization: "Bearer glsa_not_a_token", messageId: "api-key.invalid", message: "Invalid API key"),
            Denied(authorization: "Token abc", messageId: "auth.unauthorized", message: "Unauthorized"),
        ])
    func unauthorized(_ denied: Denied) async throws {
        try await Fixture.withStandIn { client async throws in
            for path in ["/api/datasources", "/api/search", "/api/folders", "/api/user"] {
                let reply = try await client.with(authorization: denied.authorization).get(path)
                #expect(reply.status == 401, "\(path)")
                #expect(reply.object["messageId"] as? String == denied.messageId)
                #expect(reply.message == denied.message)
                #expect(reply.object["statusCode"] as? Int == 401)
            }
        }
    }

    @Test("admin basic auth works with the configured password and /api/user names the admin")
    func adminBasicAuth() async throws {
        try await Fixture.withStandIn(Fixture.configuration(password: "s3cret")) { client async throws in
            let reply = try await client.get("/api/user")
            #expect(reply.status == 200)
            #expect(reply.object["login"] as? String == "admin")
            #expect(reply.object["isGrafanaAdmin"] as? Bool == true)
            #expect(try await client.with(authorization: StandInClient.basic("admin", "admin")).get("/api/user").status == 401)
        }
    }

    @Test("a service account token created through the API is accepted as Bearer and as api_key basic auth")
    func serviceAccountToken() async throws {
        try await Fixture.withStandIn { client async throws in
            let account = try await client.post("/api/serviceaccounts", ["name": "stackpilot", "role": "Admin"])
            #expect(account.status == 201)
            #expect(account.object["login"] as? String == "sa-stackpilot")
            let id = try #require(account.object["id"] as? Int)
            let token = try await client.post("/api/serviceaccounts/\(id)/tokens", ["name": "provision"])
            #expect(token.status == 200)
            let key = try #require(token.object["key"] as? String)
            #expect(key.hasPrefix("glsa_"))
            let bearer = client.with(authorization: "Bearer \(key)")
            #expect(try await bearer.get("/api/datasources").status == 200)
            #expect(try await bearer.post("/api/folders", ["title": "By token"]).status == 200)
            #expect(try await client.with(authorization: StandInClient.basic("api_key", key)).get("/api/folders").status == 200)
            let duplicate = try await client.post("/api/serviceaccounts/\(id)/tokens", ["name": "provision"])
            #expect(duplicate.status == 409)
            #expect(try await client.post("/api/serviceaccounts/999/tokens", ["name": "x"]).status == 404)
        }
    }

    @Test("a Viewer token may read but not write")
    func viewerToken() async throws {
        try await Fixture.withStandIn { client async throws in
            let id = try #require(try await client.post("/api/serviceaccounts", ["name": "reader", "role": "Viewer"]).object["id"] as? Int)
            let key = try #require(try await client.post("/api/serviceaccounts/\(id)/tokens", ["name": "t"]).object["key"] as? String)
            let viewer = client.with(authorization: "Bearer \(key)")
            #expect(try await viewer.get("/api/search").status == 200)
            let write = try await viewer.post("/api/folders", ["title": "Nope"])
            #expect(write.status == 403)
            #expect(try await client.get("/api/folders").array.isEmpty)
        }
    }

    @Test("STANDIN_SERVICE_ACCOUNT_TOKEN is accepted as an Admin bearer token")
    func staticToken() async throws {
        try await Fixture.withStandIn(Fixture.configuration(token: "glsa_fixed_token")) { client async throws in
            #expect(try await client.with(authorization: "Bearer glsa_fixed_token").post("/api/folders", ["title": "T"]).status == 200)
            #expect(try await client.with(authorization: "Bearer glsa_other").get("/api/folders").status == 401)
        }
    }

    @Test("PUT /api/user/password checks the old password and then only the new one works")
    func changePassword() async throws {
        try await Fixture.withStandIn { client async throws in
            let wrongOld = try await client.put("/api/user/password", ["oldPassword": "nope", "newPassword": "changed1", "confirmNew": "changed1"])
            #expect(wrongOld.status == 401)
            #expect(wrongOld.message == "Invalid old password")
            let short = try await client.put("/api/user/password", ["oldPassword": "admin", "newPassword": "abc", "confirmNew": "abc"])
            #expect(short.status == 400)
            let changed = try await client.put("/api/user/password", ["oldPassword": "admin", "newPassword": "changed1", "confirmNew": "changed1"])
            #expect(changed.status == 200)
            #expect(changed.message == "User password changed")
            #expect(try await client.get("/api/user").status == 401)
            #expect(try await client.with(authorization: StandInClient.basic("admin", "changed1")).get("/api/user").status == 200)
        }
    }

    @Test("configuration comes from Grafana's environment variables, the password also from a file")
    func environment() throws {
        let directory = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("password")
        try Fixture.write("from-file\n", to: file)
        let config = try StandInConfiguration.fromEnvironment([
            "GF_SERVER_HTTP_ADDR": "127.0.0.1", "GF_SERVER_HTTP_PORT": "3300", "GF_SECURITY_ADMIN_USER": "root",
            "GF_SECURITY_ADMIN_PASSWORD": "ignored", "GF_SECURITY_ADMIN_PASSWORD__FILE": file.path,
            "GF_PATHS_PROVISIONING": "/p", "STANDIN_SORT_DASHBOARD_KEYS": "1",
        ])
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 3300)
        #expect(config.adminUser == "root")
        #expect(config.adminPassword == "from-file")
        #expect(config.provisioningPath == "/p")
        #expect(config.sortDashboardKeys)
        let defaults = try StandInConfiguration.fromEnvironment([:])
        #expect(defaults.host == "127.0.0.1" && defaults.port == 3000 && defaults.adminPassword == "admin")
        #expect(defaults.provisioningPath == "/etc/grafana/provisioning")
        #expect(throws: StandInError.self) { try StandInConfiguration.fromEnvironment(["GF_SERVER_HTTP_PORT": "http"]) }
        #expect(throws: StandInError.self) { try StandInConfiguration.fromEnvironment(["GF_SECURITY_ADMIN_PASSWORD__FILE": "/nonexistent/pw"]) }
    }

    @Test("unknown API paths answer Grafana's JSON 404")
    func unknownPath() async throws {
        try await Fixture.withStandIn { client async throws in
            let reply = try await client.get("/api/does-not-exist")
            #expect(reply.status == 404)
            #expect(reply.message == "Not found")
        }
    }
}
