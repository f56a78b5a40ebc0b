using Obol.Core.Storage;

namespace Obol.Core.Http;

/// <summary>
/// The request's transaction, opened by <see cref="UnitOfWorkFilter"/>: handlers write through
/// <see cref="Session"/> so their effects and the idempotency record commit together.
/// </summary>
public sealed class RequestUnitOfWork
{
    private DbSession? _session;

    public DbSession Session => _session
        ?? throw new InvalidOperationException("This endpoint has no unit of work; add WithUnitOfWork() to its mapping.");

    internal void Begin(DbSession session) => _session = session;

    internal void End() => _session = null;
}
