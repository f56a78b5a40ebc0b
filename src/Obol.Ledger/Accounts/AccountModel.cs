namespace Obol.Ledger;

/// <summary>The account's type decides its normal side: assets and expenses grow with debits, the rest with credits.</summary>
public enum AccountType
{
    Asset,
    Liability,
    Equity,
    Revenue,
    Expense,
}

public enum OwnerType
{
    Platform,
    Merchant,
    Courier,
}

public enum EntrySide
{
    Debit,
    Credit,
}

/// <summary>TigerBeetle's balance limits: at most one of them may be set.</summary>
public readonly record struct AccountFlags(bool DebitsMustNotExceedCredits, bool CreditsMustNotExceedDebits);

/// <summary>An account's four balances, as TigerBeetle keeps them. Arithmetic is checked.</summary>
public readonly record struct AccountBalances(long DebitsPosted, long CreditsPosted, long DebitsPending, long CreditsPending)
{
    public static AccountBalances Zero => default;

    /// <summary>The posted balance on the account's normal side (negative when it is on the other side).</summary>
    public long Balance(AccountType type) => IsDebitNormal(type)
        ? checked(DebitsPosted - CreditsPosted)
        : checked(CreditsPosted - DebitsPosted);

    /// <summary>
    /// What is left to spend on the normal side once holds are taken into account: the posted balance less
    /// pending movements away from the normal side.
    /// </summary>
    public long Available(AccountType type) => IsDebitNormal(type)
        ? checked(DebitsPosted - CreditsPosted - CreditsPending)
        : checked(CreditsPosted - DebitsPosted - DebitsPending);

    /// <summary>Applies one entry; throws <see cref="OverflowException"/> when a balance would leave the 64-bit range.</summary>
    public AccountBalances Apply(EntrySide side, long postedAmount, long pendingAmount) => side == EntrySide.Debit
        ? this with
        {
            DebitsPosted = checked(DebitsPosted + postedAmount),
            DebitsPending = checked(DebitsPending + pendingAmount),
        }
        : this with
        {
            CreditsPosted = checked(CreditsPosted + postedAmount),
            CreditsPending = checked(CreditsPending + pendingAmount),
        };

    /// <summary>True when the balances break a limit set by the flags (pending debits count against the credits).</summary>
    public bool Breaks(AccountFlags flags) =>
        (flags.DebitsMustNotExceedCredits && (Int128)DebitsPosted + DebitsPending > CreditsPosted)
        || (flags.CreditsMustNotExceedDebits && (Int128)CreditsPosted + CreditsPending > DebitsPosted);

    public static bool IsDebitNormal(AccountType type) => type is AccountType.Asset or AccountType.Expense;
}
