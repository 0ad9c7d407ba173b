import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

/** Used by the TypeORM CLI (`npm run migration:*`); the app builds its own from the same options. */
export default new DataSource(dataSourceOptions(loadConfig(process.env).database));
