using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Obol.Core.Storage;

namespace Obol.Core.Tests;

/// <summary>
/// A COMMIT whose answer is lost may have been applied: running the work again could book, charge or pay twice.
/// The database double here commits for real and then fails the way Npgsql does when the connection drops.
/// </summary>
public class CommitOutcomeTests
{
    [Fact]
    public async Task A_commit_without_an_answer_is_not_run_again_and_reports_an_unknown_outcome()
    {
        await using var database = new FailingCommitDatabase(_ => new NpgsqlException("Exception while reading from stream", new IOException("connection reset")));
        var attempts = 0;

        var thrown = await Assert.ThrowsAsync<CommitOutcomeUnknownException>(() => database.WriteAsync(_ =>
        {
            attempts++;
            return Task.FromResult(attempts);
        }, CancellationToken.None));

        Assert.Equal(1, attempts);
        Assert.Equal(1, database.Commits);
        Assert.Equal((503, "commit_outcome_unknown"), (thrown.Problem.Status, thrown.Problem.Code));
    }

    [Fact]
    public async Task A_commit_the_server_refused_is_retried_like_any_transient_error()
    {
        // The server answered: a serialization failure at COMMIT means nothing was applied, so running again is safe.
        await using var database = new FailingCommitDatabase(attempt => attempt == 1
            ? new PostgresException("could not serialize access", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure)
            : null);
        var attempts = 0;

        var result = await database.WriteAsync(_ => Task.FromResult(++attempts), CancellationToken.None);

        Assert.Equal(2, result);
        Assert.Equal(2, database.Commits);
    }

    private sealed class FailingCommitDatabase(Func<int, Exception?> afterCommit) : Database(unavailableRetryWindow: TimeSpan.FromSeconds(1))
    {
        public int Commits { get; private set; }

        public override DatabaseProvider Provider => DatabaseProvider.Postgres;

        public override Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override async Task<Writer> BeginWriteAsync(CancellationToken cancellationToken)
        {
            var connection = new SqliteConnection("Data Source=:memory:");
            await connection.OpenAsync(cancellationToken);
            var transaction = (DbTransaction)await connection.BeginTransactionAsync(cancellationToken);
            return new Writer(connection, new CommitThenFail(transaction, () => afterCommit(++Commits)), null);
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class CommitThenFail(DbTransaction inner, Func<Exception?> afterCommit) : DbTransaction
    {
        public override IsolationLevel IsolationLevel => inner.IsolationLevel;
        protected override DbConnection? DbConnection => inner.Connection;

        public override void Commit()
        {
            inner.Commit();
            if (afterCommit() is { } failure)
            {
                throw failure;
            }
        }

        public override void Rollback() => inner.Rollback();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
