namespace Coffre.Domain.Access;

[GenerateSerializer, Alias("coffre.profession-sector")]
public enum ProfessionSector
{
    Health = 0,
    Social = 1,
    MedicoSocial = 2,
}
