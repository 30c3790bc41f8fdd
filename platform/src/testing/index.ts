export { realServices, startPlatformUnderTest, type PlatformOptions, type PlatformUnderTest } from './platform-under-test';
export { testModelsSettings } from './test-models-config';
