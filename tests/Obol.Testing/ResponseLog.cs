using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Obol.Testing;

/// <summary>One response the server sent: its operation (method and route template), status, content type and body.</summary>
public sealed record RecordedResponse(string Method, string? Route, int Status, string? ContentType, byte[] Body);

/// <summary>
/// Records every response a test server sends, at the outermost point of its pipeline (so problems written by the error
/// handling, the authentication challenge and replays from the idempotency layer are seen as the client sees them). The
/// route is the endpoint's template (<c>/v1/payments/{id}</c>), or null when no endpoint matched. Installed with
/// <c>ObolTestServer.StartAsync(…, configure: log.Install)</c>.
/// </summary>
public sealed class ResponseLog
{
    private readonly ConcurrentQueue<RecordedResponse> _responses = new();

    public IReadOnlyList<RecordedResponse> Responses => [.. _responses];

    public void Install(WebApplicationBuilder builder) => builder.Services.AddSingleton<IStartupFilter>(new Recorder(this));

    private sealed class Recorder(ResponseLog log) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                var original = context.Response.Body;
                using var copy = new MemoryStream();
                context.Response.Body = new TeeStream(original, copy);
                try
                {
                    await nextMiddleware(context);
                }
                finally
                {
                    context.Response.Body = original;
                }

                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
                log._responses.Enqueue(new RecordedResponse(
                    context.Request.Method, route is null ? null : "/" + route.Trim('/'), context.Response.StatusCode, context.Response.ContentType, copy.ToArray()));
            });
            next(app);
        };
    }

    /// <summary>Writes to the response and to a copy.</summary>
    private sealed class TeeStream(Stream inner, Stream copy) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            copy.Write(buffer, offset, count);
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            copy.Write(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
