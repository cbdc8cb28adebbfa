import { ConfigError, parseConfig } from '../config/load-config';
import { chooseDatabase } from './open-database';

describe('which database a config chooses', () => {
  const embedded = parseConfig({ database: { embeddedDir: 'data' } });

  it('takes DATABASE_URL first, else the embedded directory, else none', () => {
    expect(chooseDatabase(embedded, { databaseUrl: 'postgresql://u:p@db:5432/ccp' })).toEqual({ kind: 'postgres', url: 'postgresql://u:p@db:5432/ccp' });
    expect(chooseDatabase(embedded, {})).toEqual({ kind: 'pglite', dir: 'data' });
    expect(chooseDatabase(parseConfig({}), {})).toEqual({ kind: 'none' });
    expect(chooseDatabase(parseConfig({ database: { enabled: false, embeddedDir: 'data' } }), { databaseUrl: 'postgresql://db/ccp' })).toEqual({ kind: 'none' });
  });

  it('refuses replicas (REDIS_URL) on embedded databases, saying why and how, unless told it is meant', () => {
    let err: unknown;
    try {
      chooseDatabase(embedded, { redisUrl: 'redis://r:6379' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/REDIS_URL is set .* DATABASE_URL is not.*would not reach the others.*database\.allowUnshared: true/s);
    expect(chooseDatabase(parseConfig({ database: { embeddedDir: 'data', allowUnshared: true } }), { redisUrl: 'redis://r:6379' }).kind).toBe('pglite');
    expect(chooseDatabase(embedded, { redisUrl: 'redis://r:6379', databaseUrl: 'postgresql://db/ccp' }).kind).toBe('postgres');
  });
});
