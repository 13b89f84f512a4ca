import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, ValidateIf, ValidateNested } from 'class-validator';
import { ProblemError } from '../errors/problem';
import { PlatformValidationPipe } from './validation';

class PriceDto {
  @IsString() asset!: string;
}

class OfferDto {
  @ApiProperty({ format: 'uuid' }) @IsString() ownerId!: string;
  @ValidateNested() @Type(() => PriceDto) price!: PriceDto;
  @IsOptional() @ValidateNested({ each: true }) @Type(() => PriceDto) extras?: PriceDto[];
  @IsString() kind!: string;
  @ValidateIf((o: OfferDto) => o.kind === 'gpu') @ValidateNested() @Type(() => PriceDto) gpuPrice?: PriceDto;
  @IsOptional() @IsInt() count?: number;
}

const OWNER = '0b6a4a6e-5a47-4f37-9f0e-3e8f1b1e6a11';

async function fieldErrors(body: unknown): Promise<{ field: string; message: string }[]> {
  try {
    await new PlatformValidationPipe().transform(body, { type: 'body', metatype: OfferDto, data: '' });
  } catch (err) {
    if (err instanceof ProblemError) return (err.problem as unknown as { errors: { field: string; message: string }[] }).errors;
    throw err;
  }
  return [];
}

describe('PlatformValidationPipe strict checks', () => {
  it('accepts a valid body, the same on every call', async () => {
    for (let i = 0; i < 3; i++) expect(await fieldErrors({ ownerId: OWNER, price: { asset: 'USDC' }, kind: 'cpu' })).toEqual([]);
  });

  it('requires a nested object, refuses an array in its place, and checks documented UUIDs', async () => {
    expect(await fieldErrors({ ownerId: 'nope', kind: 'cpu' })).toEqual(
      expect.arrayContaining([
        { field: 'ownerId', message: 'ownerId must be a UUID' },
        { field: 'price', message: 'price is required' },
      ]),
    );
    expect(await fieldErrors({ ownerId: OWNER, price: [], kind: 'cpu' })).toEqual(expect.arrayContaining([{ field: 'price', message: 'price must be a JSON object' }]));
  });

  it('wants an array for a nested each field and checks its items', async () => {
    expect(await fieldErrors({ ownerId: OWNER, price: { asset: 'USDC' }, kind: 'cpu', extras: { asset: 'USDC' } })).toEqual(
      expect.arrayContaining([{ field: 'extras', message: 'extras must be an array' }]),
    );
  });

  it('skips a field whose condition does not apply and checks it when it does', async () => {
    expect(await fieldErrors({ ownerId: OWNER, price: { asset: 'USDC' }, kind: 'cpu' })).toEqual([]);
    expect(await fieldErrors({ ownerId: OWNER, price: { asset: 'USDC' }, kind: 'gpu' })).toEqual(
      expect.arrayContaining([{ field: 'gpuPrice', message: 'gpuPrice is required' }]),
    );
  });
});
