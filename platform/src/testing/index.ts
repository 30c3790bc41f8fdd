export {
  realServices,
  startPlatformUnderTest,
  type PlatformOptions,
  type PlatformUnderTest,
  type RealServices,
} from './platform-under-test';
export { testModelsSettings } from './test-models-config';
