using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Coffre.Application.Rollout;
using Coffre.Domain.Rollout;
using Xunit;

namespace Coffre.IntegrationTests.RolloutEndToEnd;

/// <summary>
/// Issue 7, items 3 and 7: a NIR alone cannot lock a person's code or account, and aliases cannot multiply the
/// PBKDF2 work of a request (same silo and rollout as the other activation tests; codes lock after 3 counted attempts).
/// </summary>
public sealed partial class ActivationOverHttpTests
{
    private const string SetPassphrase = """
        mutation SetPassphrase($input: SetPassphraseInput!) {
          setPassphrase(input: $input) { passphraseSet userErrors { code field message } }
        }
        """;

    private const string SignIn = """
        mutation SignIn($input: SignInInput!) {
          signIn(input: $input) { session { vaultId token } userErrors { code field message } }
        }
        """;

    private const string Passphrase = "four random words are easy";

    [Fact]
    public async Task Five_attempts_knowing_only_the_NIR_do_not_count_so_the_right_code_still_activates()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var right = await Db.CodeOfAsync(person);
        var wrongDate = person.BirthDate.AddDays(1);
        const string WrongSerial = "000000000000001";

        // Wrong birth date, wrong Vitale serial, or both; wrong codes, and once even the right code.
        var responses = new List<RawResponse>
        {
            await Http.ActivateAsync(person, RolloutDatabase.WrongCode(right), birthDate: wrongDate),
            await Http.ActivateAsync(person, RolloutDatabase.WrongCode(right), vitaleSerial: WrongSerial),
            await Http.ActivateAsync(person, RolloutDatabase.WrongCode(right), vitaleSerial: WrongSerial, birthDate: wrongDate),
            await Http.ActivateAsync(person, RolloutDatabase.WrongCode(right), vitaleSerial: WrongSerial, birthDate: wrongDate),
            await Http.ActivateAsync(person, right, vitaleSerial: WrongSerial, birthDate: wrongDate),
        };
        var unknown = await Http.ActivateAsync(Population.Unknown(400), ActivationCodes.Generate());
        foreach (var response in responses)
        {
            Assert.Equal(RefusedOnly, response.UserErrorCodes("activateVault"));
            Assert.Equal(unknown.Body, response.Body);
        }
        var code = await Db.LatestCodeAsync(person);
        output.WriteLine($"after 5 attempts without the secrets: status {code.Status}, attempts {code.Attempts}; audited {await Db.DenialsAsync(fixture.VaultId(index))}");
        Assert.Equal(((short)CodeStatus.Valid, (short)0), (code.Status, code.Attempts));
        Assert.Equal(5L, await Db.DenialsAsync(fixture.VaultId(index)));

        var activated = await Http.ActivateAsync(person, right);
        Assert.True(activated.Field("activateVault")?["session"] is JsonObject, activated.ToString());
        Assert.Equal((short)PersonStatus.Activated, await Db.PersonStatusAsync(person));
    }

    [Fact]
    public async Task Five_attempts_with_the_right_secrets_and_wrong_codes_still_lock_the_code()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var right = await Db.CodeOfAsync(person);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(RefusedOnly, (await Http.ActivateAsync(person, RolloutDatabase.WrongCode(right))).UserErrorCodes("activateVault"));
        }
        var code = await Db.LatestCodeAsync(person);
        Assert.Equal(((short)CodeStatus.Locked, (short)3), (code.Status, code.Attempts));   // this silo locks at 3
        Assert.Equal(RefusedOnly, (await Http.ActivateAsync(person, right)).UserErrorCodes("activateVault"));
        Assert.Equal((short)PersonStatus.Registered, await Db.PersonStatusAsync(person));
    }

    [Fact]
    public async Task Sign_in_with_a_wrong_birth_date_never_locks_the_account()
    {
        var (person, vaultId) = await ActivateWithPassphraseAsync();
        var wrongDate = person.BirthDate.AddYears(-1);
        var refusedBody = "";
        for (var i = 0; i < 12; i++)   // more than the 10 failures that lock
        {
            // Once with the right passphrase, then wrong ones: none of them may count.
            var refused = await SignInAsync(person.Nir, wrongDate, i == 0 ? Passphrase : "not the right passphrase");
            Assert.Equal(["SIGN_IN_REFUSED"], refused.UserErrorCodes("signIn"));
            refusedBody = refused.Body;
        }
        var unknown = await SignInAsync(Population.Unknown(401).Nir, wrongDate, Passphrase);
        Assert.Equal(unknown.Body, refusedBody);

        var signedIn = await SignInAsync(person.Nir, person.BirthDate, Passphrase);
        Assert.Equal(vaultId, signedIn.Field("signIn")?["session"]?["vaultId"]?.GetValue<string>());
    }

    [Fact]
    public async Task Sign_in_with_the_right_birth_date_and_wrong_passphrases_locks_after_ten()
    {
        var (person, _) = await ActivateWithPassphraseAsync();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(["SIGN_IN_REFUSED"], (await SignInAsync(person.Nir, person.BirthDate, "not the right passphrase")).UserErrorCodes("signIn"));
        }
        var locked = await SignInAsync(person.Nir, person.BirthDate, Passphrase);
        Assert.Equal(["SIGN_IN_REFUSED"], locked.UserErrorCodes("signIn"));
        Assert.Null(locked.Field("signIn")?["session"]);
    }

    [Fact]
    public async Task Five_aliased_sign_ins_in_one_request_cost_one_passphrase_hash()
    {
        var (person, vaultId) = await ActivateWithPassphraseAsync();
        var before = await SignInEventsAsync(vaultId);
        var query = new StringBuilder("mutation Many {\n");
        for (var i = 0; i < 5; i++)
        {
            query.Append(CultureInfo.InvariantCulture,
                $"  s{i}: signIn(input: {{ nir: \"{person.Nir}\", birthDate: \"{person.BirthDate:yyyy-MM-dd}\", passphrase: \"{Passphrase}\" }}) {{ session {{ vaultId }} userErrors {{ code }} }}\n");
        }
        var response = await Http.PostAsync(query.Append('}').ToString());
        output.WriteLine(response.ToString());
        Assert.True(response.Status == 200, response.ToString());
        // s1…s4 refused before any hashing; their null payloads (non-null fields) null the whole data, s0 included.
        Assert.Equal(["RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"], response.ErrorCodes);
        Assert.Equal(["s1", "s2", "s3", "s4"], response.Json["errors"]!.AsArray().Select(e => e!["path"]![0]!.GetValue<string>()));
        // One sign-in reached the vault: one PBKDF2 verification, one audited (and successful) sign-in.
        Assert.Equal(before + 1, await SignInEventsAsync(vaultId));
        Assert.Equal(1L, await Db.ScalarAsync<long>("SELECT count(*) FROM audit_event WHERE vault_id = $1 AND operation = 'vault.sign-in' AND allowed", vaultId));
    }

    private Task<long> SignInEventsAsync(string vaultId) =>
        Db.ScalarAsync<long>("SELECT count(*) FROM audit_event WHERE vault_id = $1 AND operation = 'vault.sign-in'", vaultId);

    private Task<RawResponse> SignInAsync(string nir, DateOnly birthDate, string passphrase) =>
        Http.PostAsync(SignIn, new { input = new { nir, birthDate = birthDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), passphrase } });

    /// <summary>An adult of the rollout, activated with their code, who set <see cref="Passphrase"/>.</summary>
    private async Task<(PersonRecord Person, string VaultId)> ActivateWithPassphraseAsync()
    {
        var index = fixture.People.TakeAdults(1)[0];
        var person = fixture.Person(index);
        var activated = await Http.ActivateAsync(person, await Db.CodeOfAsync(person));
        var token = activated.Field("activateVault")?["session"]?["token"]?.GetValue<string>();
        Assert.True(token is not null, activated.ToString());
        var set = await Http.PostAsync(SetPassphrase, new { input = new { vaultId = fixture.VaultId(index), passphrase = Passphrase } }, token);
        Assert.True(set.Field("setPassphrase")?["passphraseSet"]?.GetValue<bool>() == true, set.ToString());
        return (person, fixture.VaultId(index));
    }
}
