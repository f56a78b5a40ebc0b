using System.Reflection;
using Obol.Core.Storage;
using Xunit;
using Xunit.Sdk;
using Xunit.v3;

namespace Obol.Testing;

/// <summary>
/// Runs a theory once on SQLite and once on PostgreSQL: the <see cref="DatabaseProvider"/> is the first argument, this
/// attribute's own arguments follow it. <c>[BothDatabases("Asia/Kolkata")]</c> is the pair
/// <c>(Sqlite, "Asia/Kolkata")</c>, <c>(Postgres, "Asia/Kolkata")</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class BothDatabasesAttribute(params object?[] arguments) : DataAttribute
{
    public IReadOnlyList<object?> Arguments { get; } = arguments;

    public override ValueTask<IReadOnlyCollection<ITheoryDataRow>> GetData(MethodInfo testMethod, DisposalTracker disposalTracker) =>
        new([Row(DatabaseProvider.Sqlite), Row(DatabaseProvider.Postgres)]);

    public override bool SupportsDiscoveryEnumeration() => true;

    private TheoryDataRow Row(DatabaseProvider provider) =>
        new([provider, .. Arguments])
        {
            Explicit = ExplicitAsNullable,
            Label = Label,
            Skip = Skip,
            TestDisplayName = TestDisplayName,
            Timeout = TimeoutAsNullable,
        };
}
