import HTTPTypes
import Hummingbird

/// Browser hardening headers on every response: static files, API JSON, errors, metrics.
///
/// The web app in `Public/` is plain files with no inline script, style or event handler,
/// so a strict Content-Security-Policy costs it nothing and turns an injected `<script>` or
/// `onerror=` (say, from a customer's name rendered somewhere by mistake) into a blocked
/// request instead of a stolen API key from sessionStorage. API responses get the same
/// headers: a JSON body opened directly in a tab is a document too.
///
/// A handler that set a stricter value keeps it (the KYC document download sends
/// `default-src 'none'; sandbox`), so this middleware only fills in what is missing.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        Self.apply(to: &response.headers)
        return response
    }

    static func apply(to fields: inout HTTPFields) {
        for (name, value) in SecurityHeaders.all where fields[name] == nil {
            fields[name] = value
        }
    }
}

/// The header values, built once: every response carries them (the /health profile showed
/// the list rebuilt, and the policy string joined, per response).
enum SecurityHeaders {
    /// Scripts, styles, fetches and images from this origin only; SVG charts are DOM
    /// elements, `data:` images cover icons; no framing, no `<base>` hijack, forms post home.
    static let contentSecurityPolicy =
        [
            "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
            "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'",
        ].joined(separator: "; ")

    static let all: [(HTTPField.Name, String)] = [
        (.contentSecurityPolicy, contentSecurityPolicy),
        // Never let a browser guess that an uploaded PNG or a JSON error is HTML.
        (.xContentTypeOptions, "nosniff"),
        // API paths carry ids; pages opened from the app must not leak them to others.
        (.referrerPolicy, "no-referrer"),
        // For browsers that predate frame-ancestors: no clickjacking of the console.
        (.xFrameOptions, "DENY"),
        (.crossOriginOpenerPolicy, "same-origin"),
    ]
}

// `.contentSecurityPolicy` and `.xContentTypeOptions` come with HTTPTypes.
extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let crossOriginOpenerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
}
